/**
 * The schema of the node configuration (see ./config.ts) and its parser:
 * zod and the YAML parser, imported (by ./node_config.ts) only when the file
 * changed since its parsed form was cached.
 *
 * @module
 */
import { z } from "zod";
import { isMap, isNode, isScalar, isSeq } from "yaml";
import { ConfigError, type Problem } from "../errors.ts";
import { normalize } from "../posix_path.ts";
import { duration } from "../../resources/duration.ts";
import { formatPath } from "../cookbook/problems.ts";
import { parseYaml, positionOf, schemaProblems, type YamlSource } from "../cookbook/yaml_source.ts";
import {
  BRANCH,
  BRANCH_EXPECTED,
  hasUrlSecret,
  NOT_AN_OPTION,
  SECRET_ADVICE,
  waitProblem,
} from "./config.ts";

/** A duration field that must be a wait from `min` seconds (see {@link waitProblem}). */
function wait(min: number) {
  return duration.check((ctx) => {
    const problem = waitProblem(ctx.value, min);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

/**
 * Whether the absolute `path` lies in /proc, /sys or /dev ("." and ".."
 * resolved as written): kernel and device files, never a file or directory
 * of the node's (`metrics_dir: /proc/self` would have cm write into a process).
 */
function inKernelTree(path: string): boolean {
  return ["proc", "sys", "dev"].includes(normalize(path).split("/")[1]);
}

const absolutePath = z.string()
  .regex(/^\//, { error: "expected an absolute path" })
  // A NUL or an escape sequence in a path reaches the filesystem and every warning naming it.
  // deno-lint-ignore no-control-regex
  .regex(/^[^\x00-\x1f\x7f]*$/, { error: "expected a path without control characters" })
  .refine((path) => !path.startsWith("/") || !inKernelTree(path), {
    error: "expected a path outside /proc, /sys and /dev (kernel and device files)",
  });

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

/** Parses and validates the text of a node configuration; throws {@link ConfigError}. */
export function parseNodeConfig(text: string, file: string): NodeConfig {
  // Comments only: every field left to its default, as with no file.
  const source = parseYaml(file, text, "a mapping (repo, branch, cookbooks, ...)", () => ({}));
  if (Array.isArray(source)) throw new ConfigError(source);
  const problems = taggedProblems(source);
  const result = nodeConfigSchema.safeParse(source.raw);
  if (!result.success) {
    const known = Object.keys(nodeConfigSchema.shape);
    const tagged = problems.map((p) => p.path);
    problems.push(
      ...schemaProblems(
        source,
        result.error.issues,
        (path) => path.length ? [] : known,
        // A refused URL may still carry a token.
        (path) => path[0] === "repo",
      ).filter((p) => !tagged.some((path) => within(p.path, path))),
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

/** The tags of YAML's core schema: strings, numbers, true or false, null, lists and mappings. */
const PLAIN_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "seq", "map"].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * A problem for each value written with another tag (`!!binary`,
 * `!!timestamp`, `!!set`, `!custom`): the parser would make it bytes, a date
 * or a set, which no field takes (zod would call it "a mapping"), or keep a
 * string and drop a tag the writer meant something by.
 */
function taggedProblems(source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (!isNode(node)) return;
    if (node.tag !== undefined && !PLAIN_TAGS.has(node.tag)) {
      problems.push({
        at: { file: source.file, ...source.lines.linePos(node.range?.[0] ?? 0) },
        path: formatPath(path),
        message: `expected a string, number, true or false, or a list, got a value tagged ${
          node.tag.replace(/^tag:yaml\.org,2002:/, "!!")
        }`,
      });
    } else if (isMap(node)) {
      for (const { key, value } of node.items) {
        const name = String(isScalar(key) ? key.value : key);
        walk(key, [...path, name]);
        walk(value, [...path, name]);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
  };
  walk(source.doc.contents, []);
  return problems;
}

/** Whether the formatted path `path` is `parent` or inside it (`cookbooks[0]` in `cookbooks`). */
function within(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);
}
