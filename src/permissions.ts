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
  // Peak memory (max RSS, 3 runs each, 2026-11-30): a 1 MiB young generation (5 MiB less); no
  // optimising compilers (their zones cost 5-12 MiB; a run is mostly sub-second) and the old
  // generation grown by 30 % instead of V8's default: 1,000 files no-op 61.5 -> 55 MiB, first
  // converge 98 -> 83 MiB, same CPU; at 10,000 files 96 -> 91 MiB, but 40-55 % more CPU
  // (no-op 0.27 -> 0.38 s, first converge 2.5 -> 3.9 s). `gc()` for src/memory.ts.
  "--v8-flags=--max-semi-space-size=1,--no-opt,--no-maglev,--heap-growing-percent=30,--expose-gc",
  "--no-prompt",
  // Modules behind import() load when first imported, not all before main runs (Deno's
  // default reads and analyses every one: cm's sync, YAML parser, zod...): 4-5 ms a start.
  "--unstable-lazy-dynamic-imports",
];
