/**
 * The node configuration of `cm sync` (`/etc/config-manager/config.yaml`, or
 * `CM_CONFIG`, or `--config`), validated like cookbooks: every problem names
 * `file:line:col`, the field, and what was expected; unknown fields get a
 * "did you mean". Command-line flags override every field.
 *
 * ```yaml
 * repo: https://git.example.com/ops/cookbooks.git
 * branch: main
 * cookbooks: [nodes/web1.yaml]   # default: nodes/<fqdn>.yaml, nodes/<hostname>.yaml, default.yaml
 * interval: 5m                   # seconds, or 30s / 5m / 1h (default 300 s)
 * splay: 60                      # random delay up to this (default 60 s)
 * credentials: /etc/config-manager/credentials   # SSH private key or HTTPS token, mode 0600
 * verify_signatures: true
 * trusted_keys: /etc/config-manager/allowed_signers  # SSH allowed signers, or a GPG keyring
 * on_cookbook_change: refuse     # default warn: the node's selected cookbook changed
 * metrics_dir: /var/lib/prometheus/node-exporter    # textfile collector (skipped when absent)
 * alerts: /etc/config-manager/alerts.yaml            # root-only alert targets
 * audit_log: /var/log/config-manager/audit.log
 * ```
 *
 * Every field is optional for `cm apply`, `cm drift` and `cm watch`, which read
 * only the monitoring ones; `cm sync` needs `repo` (or `--repo`). The schema
 * is in ./config_schema.ts; ./node_config.ts reads the file and caches it parsed.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { UsageError } from "../errors.ts";
import { MAX_WAIT_SECONDS } from "../text.ts";
import { type NodeConfigOptions, readNodeConfig } from "./node_config.ts";

export { DEFAULT_CONFIG_PATH } from "./node_config.ts";
/** Default seconds between syncs (the seed design's 5 minutes). */
export const DEFAULT_INTERVAL = 300;
/** Default upper bound of the random delay before a sync, in seconds. */
export const DEFAULT_SPLAY = 60;
/** Default branch. */
export const DEFAULT_BRANCH = "main";

/** A wait of at least `min` and at most {@link MAX_WAIT_SECONDS} seconds; null when it is one. */
export function waitProblem(seconds: number, min: number): string | null {
  return seconds >= min && seconds <= MAX_WAIT_SECONDS
    ? null
    : `expected ${min} to ${MAX_WAIT_SECONDS} seconds (23 days)`;
}

/**
 * A branch name git accepts (`git check-ref-format --branch`, stricter on
 * non-ASCII spaces): no spaces, controls or ~^:?*[\, no "..", "@{" or "//",
 * not "@", no part that starts with "." or ends with ".lock", no "/" or "."
 * at the end; and no leading "-" (git would read an option). Anything else
 * could never be fetched.
 */
export const BRANCH =
  /^(?![-/])(?!.*\.\.)(?!.*@\{)(?!@$)(?!.*\/\/)(?!.*[/.]$)(?!(?:.*\/)?\.)(?!.*\.lock(?:\/|$))[^\p{Cc}\s~^:?*[\\]+$/u;

/** What {@link BRANCH} asks for, in words. */
export const BRANCH_EXPECTED =
  'expected a branch name git accepts (no spaces, "..", "@{", "//" or ~^:?*[\\, ' +
  'no part starting with "." or ending in ".lock", not starting with "-")';

/** A leading "-" would reach git as an option. */
export const NOT_AN_OPTION = 'expected a git URL (not starting with "-")';

/** Everything a sync needs, after flags override the file. */
export interface SyncSettings {
  repo: string;
  branch: string;
  /** Explicit cookbooks, or undefined for the hostname/default rule. */
  cookbooks?: string[];
  interval: number;
  splay: number;
  credentials?: string;
  verifySignatures: boolean;
  trustedKeys?: string;
  /** The node's own vars file (`vars_file:`), if any. */
  varsFile?: string;
  /** `on_cookbook_change: refuse`: a changed cookbook selection is refused, not just reported. */
  refuseCookbookChange?: boolean;
  /** The config file read, if any. */
  configFile?: string;
}

/** Flags of `cm sync` / `cm timer install` that override the config file. */
export interface SyncFlags {
  config?: string;
  repo?: string;
  branch?: string;
  cookbook?: string[];
  interval?: number;
  splay?: number;
  credentials?: string;
  verifySignatures?: boolean;
  trustedKeys?: string;
}

/**
 * Whether a URL carries a secret: a password (`ssh://user:pw@host/...`), or
 * any user name in an http(s) URL, where `https://TOKEN@host/...` is a common
 * way to pass a token. git would get it on its command line and keep it in
 * `.git/config`; credentials belong in the root-only credentials file, which
 * reaches git through its environment.
 */
export function hasUrlSecret(url: string): boolean {
  const [, scheme = "", authority = ""] = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url.trim()) ??
    [];
  const at = authority.lastIndexOf("@");
  if (at < 0) return false;
  return /^https?$/i.test(scheme) || authority.slice(0, at).includes(":");
}

/** Why a secret in a git URL is refused, and where it belongs. */
export const SECRET_ADVICE =
  "a password, or a user name in an https URL (often a token), would be passed to git on its " +
  "command line and stored in .git/config; remove it and put user:token in the root-only " +
  "credentials file instead";

/**
 * Reads the node configuration (flag, then `CM_CONFIG`, then the default
 * path) and lets the flags override it. A missing default file is fine when
 * the flags say enough; a missing file named explicitly is an error.
 * `requireRepo: false` lets a caller without a repository through (cm timer install);
 * `cache` says where the parsed file is cached (see {@link readNodeConfig}).
 *
 * @throws {ConfigError} for problems in the file
 * @throws {UsageError} for flags that contradict or leave out what a sync needs
 */
export async function resolveSettings(
  probe: Probe,
  flags: SyncFlags,
  { requireRepo = true, ...cache }: { requireRepo?: boolean } & Omit<NodeConfigOptions, "flag"> =
    {},
): Promise<SyncSettings> {
  if (flags.repo?.startsWith("-")) throw new UsageError(`--repo "${flags.repo}": ${NOT_AN_OPTION}`);
  if (flags.branch !== undefined && !BRANCH.test(flags.branch)) {
    throw new UsageError(
      `--branch "${flags.branch}": ${BRANCH_EXPECTED}`,
    );
  }
  if (flags.repo !== undefined && hasUrlSecret(flags.repo)) {
    throw new UsageError(`--repo: ${SECRET_ADVICE} (--credentials FILE, mode 0600)`);
  }
  const { config, file, found } = await readNodeConfig(probe, { flag: flags.config, ...cache });
  const repo = flags.repo ?? config.repo;
  if (!repo && requireRepo) {
    throw new UsageError(`no repository: give --repo URL or set repo: in ${file}`);
  }
  const settings: SyncSettings = {
    repo: repo ?? "",
    branch: flags.branch ?? config.branch ?? DEFAULT_BRANCH,
    cookbooks: flags.cookbook?.length ? flags.cookbook : config.cookbooks,
    interval: flags.interval ?? config.interval ?? DEFAULT_INTERVAL,
    splay: flags.splay ?? config.splay ?? DEFAULT_SPLAY,
    credentials: flags.credentials ?? config.credentials,
    verifySignatures: flags.verifySignatures ?? config.verify_signatures ?? false,
    trustedKeys: flags.trustedKeys ?? config.trusted_keys,
    ...(config.vars_file === undefined ? {} : { varsFile: config.vars_file }),
    refuseCookbookChange: config.on_cookbook_change === "refuse",
    ...(found ? { configFile: file } : {}),
  };
  for (const c of settings.cookbooks ?? []) {
    if (c.startsWith("/") || c.split("/").includes("..")) {
      throw new UsageError(
        `--cookbook "${c}": expected a path inside the repository (relative, no ..)`,
      );
    }
  }
  if (settings.verifySignatures && !settings.trustedKeys) {
    throw new UsageError(
      "signature verification needs trusted keys: --trusted-keys FILE or trusted_keys:",
    );
  }
  for (const [flag, min] of [["interval", 1], ["splay", 0]] as const) {
    const problem = waitProblem(settings[flag], min);
    if (problem) throw new UsageError(`--${flag}: ${problem}, got ${settings[flag]}`);
  }
  return settings;
}
