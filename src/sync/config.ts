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
 * only the monitoring ones; `cm sync` needs `repo` (or `--repo`).
 *
 * @module
 */
import { z } from "zod";
import type { Probe } from "../exec/executor.ts";
import { ConfigError, type Problem, UsageError } from "../errors.ts";
import { nodeConfigFile } from "./node_config.ts";
import { MAX_WAIT_SECONDS } from "../text.ts";
import { duration } from "../../resources/duration.ts";
import { parseYaml, positionOf, schemaProblems } from "../cookbook/yaml_source.ts";

export { DEFAULT_CONFIG_PATH } from "./node_config.ts";
/** Default seconds between syncs (the seed design's 5 minutes). */
export const DEFAULT_INTERVAL = 300;
/** Default upper bound of the random delay before a sync, in seconds. */
export const DEFAULT_SPLAY = 60;
/** Default branch. */
export const DEFAULT_BRANCH = "main";

/** A wait of at least `min` and at most {@link MAX_WAIT_SECONDS} seconds; null when it is one. */
function waitProblem(seconds: number, min: number): string | null {
  return seconds >= min && seconds <= MAX_WAIT_SECONDS
    ? null
    : `expected ${min} to ${MAX_WAIT_SECONDS} seconds (23 days)`;
}

/** A duration field that must be a wait from `min` seconds (see {@link waitProblem}). */
function wait(min: number) {
  return duration.check((ctx) => {
    const problem = waitProblem(ctx.value, min);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

const absolutePath = z.string().regex(/^\//, { error: "expected an absolute path" });

/**
 * A branch name git accepts (`git check-ref-format --branch`, stricter on
 * non-ASCII spaces): no spaces, controls or ~^:?*[\, no "..", "@{" or "//",
 * not "@", no part that starts with "." or ends with ".lock", no "/" or "."
 * at the end; and no leading "-" (git would read an option). Anything else
 * could never be fetched.
 */
const BRANCH =
  /^(?![-/])(?!.*\.\.)(?!.*@\{)(?!@$)(?!.*\/\/)(?!.*[/.]$)(?!(?:.*\/)?\.)(?!.*\.lock(?:\/|$))[^\p{Cc}\s~^:?*[\\]+$/u;

const BRANCH_EXPECTED =
  'expected a branch name git accepts (no spaces, "..", "@{", "//" or ~^:?*[\\, ' +
  'no part starting with "." or ending in ".lock", not starting with "-")';

// A leading "-" would reach git as an option.
const NOT_AN_OPTION = 'expected a git URL (not starting with "-")';

/** The fields of the node configuration file. */
export const nodeConfigSchema = z.strictObject({
  repo: z.string().min(1).refine((url) => !url.startsWith("-"), { error: NOT_AN_OPTION })
    .optional().describe(
      "Git URL of the cookbook repository (https://, ssh://, git://, file://); no password (nor an https user name) in it: use credentials.",
    ),
  branch: z.string().regex(BRANCH, { error: BRANCH_EXPECTED })
    .optional()
    .describe("Branch to follow (default main)."),
  cookbooks: z.array(
    z.string().min(1).refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
      error: "expected a path inside the repository (relative, no ..)",
    }),
  ).min(1, {
    error: "expected at least one cookbook path; leave cookbooks: out for the default selection",
  }).optional()
    .describe(
      "Cookbooks to apply, relative to the repository (default nodes/<fqdn>.yaml, else nodes/<hostname>.yaml, else default.yaml).",
    ),
  interval: wait(1).optional().describe("Seconds between syncs (default 300)."),
  splay: wait(0).optional().describe("Random delay up to this many seconds (default 60)."),
  credentials: absolutePath.optional()
    .describe("Root-only file with an SSH private key or an HTTPS token (user:token or token)."),
  verify_signatures: z.boolean().optional()
    .describe("Refuse a commit unless its signature verifies against trusted_keys."),
  trusted_keys: absolutePath.optional()
    .describe("SSH allowed signers file, or a GPG public keyring / armored key file."),
  vars_file: absolutePath.optional().describe(
    "Root-only YAML file (mode 0600) with a vars: mapping kept out of git (node-local secrets); overrides the cookbooks' vars.",
  ),
  on_cookbook_change: z.enum(["warn", "refuse"]).optional().describe(
    "When the selected cookbook changes (nodes/<host>.yaml gone, host renamed): warn (default) and apply, or refuse and keep the last good commit.",
  ),
  metrics_dir: absolutePath.optional().describe(
    "node_exporter textfile collector directory for cm.prom (default /var/lib/prometheus/node-exporter; skipped when absent).",
  ),
  alerts: absolutePath.optional().describe(
    "Root-only (0600) file of alert targets (default /etc/config-manager/alerts.yaml; none: alerts off).",
  ),
  audit_log: absolutePath.optional().describe(
    "Audit log, one JSON line per change (default /var/log/config-manager/audit.log).",
  ),
});

/** The node configuration as written in the file. */
export type NodeConfig = z.infer<typeof nodeConfigSchema>;

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

const decoder = new TextDecoder();

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

const SECRET_ADVICE =
  "a password, or a user name in an https URL (often a token), would be passed to git on its " +
  "command line and stored in .git/config; remove it and put user:token in the root-only " +
  "credentials file instead";

/** Parses and validates the text of a node configuration; throws {@link ConfigError}. */
export function parseNodeConfig(text: string, file: string): NodeConfig {
  const source = parseYaml(file, text, "a mapping (repo, branch, cookbooks, ...)");
  if (Array.isArray(source)) throw new ConfigError(source);
  const result = nodeConfigSchema.safeParse(source.raw);
  const problems: Problem[] = [];
  if (!result.success) {
    const known = Object.keys(nodeConfigSchema.shape);
    problems.push(
      ...schemaProblems(
        source,
        result.error.issues,
        (path) => path.length ? [] : known,
        // A refused URL may still carry a token.
        (path) => path[0] === "repo",
      ),
    );
  }
  const repo = (source.raw as Record<string, unknown> | null)?.repo;
  if (typeof repo === "string" && hasUrlSecret(repo)) {
    problems.push({
      at: positionOf(source, ["repo"]),
      path: "repo",
      message:
        `expected no credentials in the URL: ${SECRET_ADVICE} (credentials: FILE, mode 0600)`,
    });
  }
  if (result.success && result.data.verify_signatures && !result.data.trusted_keys) {
    problems.push({
      at: positionOf(source, ["verify_signatures"]),
      path: "verify_signatures",
      message: "needs trusted_keys: the SSH allowed signers file or GPG keyring to verify against",
    });
  }
  if (problems.length) throw new ConfigError(problems);
  return result.data!;
}

/**
 * Reads the node configuration at `flag`, else `CM_CONFIG`, else the default
 * path; a missing default file is an empty configuration.
 *
 * @throws {ConfigError} for problems in the file
 * @throws {UsageError} when a file named by `flag` or `CM_CONFIG` is missing
 */
export function readNodeConfig(
  probe: Probe,
  flag?: string,
): { config: NodeConfig; file: string; found: boolean } {
  const { file, data } = nodeConfigFile(probe, flag);
  const config = data === null ? {} : parseNodeConfig(decoder.decode(data), file);
  return { config, file, found: data !== null };
}

/**
 * Reads the node configuration (flag, then `CM_CONFIG`, then the default
 * path) and lets the flags override it. A missing default file is fine when
 * the flags say enough; a missing file named explicitly is an error.
 * `requireRepo: false` lets a caller without a repository through (cm timer install).
 *
 * @throws {ConfigError} for problems in the file
 * @throws {UsageError} for flags that contradict or leave out what a sync needs
 */
export function resolveSettings(
  probe: Probe,
  flags: SyncFlags,
  { requireRepo = true }: { requireRepo?: boolean } = {},
): SyncSettings {
  if (flags.repo?.startsWith("-")) throw new UsageError(`--repo "${flags.repo}": ${NOT_AN_OPTION}`);
  if (flags.branch !== undefined && !BRANCH.test(flags.branch)) {
    throw new UsageError(
      `--branch "${flags.branch}": ${BRANCH_EXPECTED}`,
    );
  }
  if (flags.repo !== undefined && hasUrlSecret(flags.repo)) {
    throw new UsageError(`--repo: ${SECRET_ADVICE} (--credentials FILE, mode 0600)`);
  }
  const { config, file, found } = readNodeConfig(probe, flags.config);
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
