/**
 * The permission flags cm runs under: baked into the compiled binary by
 * `deno task compile`, and used by the tests to run `main.ts`, so the tested
 * program runs in the same sandbox as the shipped one.
 *
 * @module
 */

/** Environment variables cm and its npm dependencies read. */
export const ENV_VARS = [
  "CM_STATE_DIR", // state directory override (cm)
  "CM_CONFIG", // node configuration path override (cm sync)
  "NO_COLOR", // colour off
  "JOURNAL_STREAM", // stdout/stderr is the journal: priority prefixes (systemd.exec(5))
  "LOG_TOKENS", // yaml reads these while parsing
  "LOG_STREAM",
];

/**
 * Each flag and why. cm runs as root and converges arbitrary paths with
 * arbitrary commands, so reads, writes and process spawns cannot be narrowed
 * to a list; what can be closed is closed: no network (git runs as its own
 * process), no FFI, a fixed list of environment variables and system facts,
 * and no interactive prompts.
 */
export const PERMISSION_FLAGS = [
  "--allow-read", // cookbooks anywhere, managed files, /var/lib/dpkg, /etc/passwd
  "--allow-write", // managed files anywhere, the state directory
  "--allow-run", // apt-get, dpkg-query, systemctl, git, and cookbook commands
  `--allow-env=${ENV_VARS.join(",")}`,
  "--allow-sys=hostname,networkInterfaces,systemMemoryInfo,uid,gid,osUptime", // facts, "am I root?", the timer's next run
  "--v8-flags=--max-semi-space-size=1", // smaller young generation: about 5 MiB less peak memory, same speed
  "--no-prompt",
  // Modules behind import() load when first imported, not all before main runs (Deno's
  // default reads and analyses every one: cm's sync, YAML parser, zod...): 4-5 ms a start.
  "--unstable-lazy-dynamic-imports",
];
