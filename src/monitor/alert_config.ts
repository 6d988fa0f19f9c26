/**
 * Alert targets and their secrets, from a root-only YAML file (never from the
 * cookbook repository):
 *
 * ```yaml
 * # /etc/config-manager/alerts.yaml, mode 0600
 * timeout: 10                      # seconds per delivery
 * targets:
 *   ops:
 *     type: webhook                # JSON POST
 *     url: https://alerts.example.com/cm
 *     headers: { Authorization: "Bearer s3cret" }
 *   chat:
 *     type: slack                  # Slack-compatible incoming webhook
 *     url: https://hooks.slack.com/services/T000/B000/XXXX
 *   oncall:
 *     type: email                  # through the local sendmail -t -i
 *     to: [ops@example.com]
 *     from: cm@web1.example.com    # optional
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { Probe } from "../exec/executor.ts";
import { CookbookError, type Problem } from "../errors.ts";
import { parseYaml, schemaProblems } from "../cookbook/yaml_source.ts";

/** Where the alert configuration lives unless configured otherwise. */
export const DEFAULT_ALERTS_PATH = "/etc/config-manager/alerts.yaml";

/** Raised for an alert file cm refuses to read (group/other access, foreign owner): exit code 2. */
export class AlertConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AlertConfigError";
  }
}

const url = z.string().regex(/^https?:\/\/[^\s]+$/, {
  error: 'expected an http:// or https:// URL like "https://alerts.example.com/cm"',
});

/** A mail address or local user name; no spaces, commas or line breaks (header injection). */
const address = z.string().regex(/^[^\s,<>"]+$/, {
  error: 'expected one address like "ops@example.com"',
});

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, { error: "expected an HTTP header name" });
const headerValue = z.string().regex(/^[^\r\n]*$/, {
  error: "expected a header value on one line",
});

/** One alert target. */
export const targetSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("webhook").describe("JSON POST of the alert."),
    url: url.describe("Where to POST; may carry a secret (sent to curl on stdin only)."),
    headers: z.record(headerName, headerValue).optional()
      .describe("Extra headers, e.g. Authorization; secrets are fine here."),
  }),
  z.strictObject({
    type: z.literal("slack").describe("Slack-compatible incoming webhook ({text})."),
    url: url.describe("The incoming webhook URL (a secret)."),
  }),
  z.strictObject({
    type: z.literal("email").describe("Mail through the local sendmail -t -i."),
    to: z.array(address).min(1).describe("Recipients."),
    from: address.optional().describe("Sender; the MTA's default when left out."),
  }),
], { error: "expected type: webhook, slack or email" });

/** The alert file's fields. */
export const alertConfigSchema = z.strictObject({
  timeout: z.number().positive().max(120).default(10).describe("Seconds one delivery may take."),
  targets: z.record(
    z.string().regex(/^[A-Za-z0-9_.-]+$/, {
      error: "expected a target name of letters, digits, _ . -",
    }),
    targetSchema,
  ).describe("Targets by name; the name keys the retry state."),
});

/** A validated alert configuration. */
export type AlertConfig = z.infer<typeof alertConfigSchema>;
/** One validated target. */
export type AlertTarget = z.infer<typeof targetSchema>;

/** Parses the text of an alert file; throws {@link CookbookError} with `file:line:col` problems. */
export function parseAlertConfig(text: string, file: string): AlertConfig {
  const source = parseYaml(file, text, "a mapping (timeout, targets)");
  if (Array.isArray(source)) throw new CookbookError(source);
  const result = alertConfigSchema.safeParse(source.raw);
  if (result.success) return result.data;
  const known = Object.keys(alertConfigSchema.shape);
  const problems: Problem[] = schemaProblems(
    source,
    result.error.issues,
    (path) => path.length ? [] : known,
  );
  throw new CookbookError(problems);
}

/**
 * Reads the alert file at `path`: refused ({@link AlertConfigError}) when it
 * is not a regular file, group or others may access it, or neither root nor
 * `myUid` owns it; `null` when it does not exist (alerts are off). Invalid
 * content throws {@link CookbookError}.
 */
export function readAlertConfig(
  probe: Probe,
  path = DEFAULT_ALERTS_PATH,
  myUid = Deno.uid(),
): AlertConfig | null {
  const info = probe.stat(path);
  if (!info) return null;
  if (info.kind !== "file") {
    throw new AlertConfigError(`alert file "${path}" is not a regular file`);
  }
  if (info.mode & 0o077) {
    const mode = info.mode.toString(8).padStart(4, "0");
    throw new AlertConfigError(
      `refusing alert file "${path}": group or others can access it (mode ${mode}): chmod 600 "${path}"`,
    );
  }
  if (info.uid !== 0 && info.uid !== myUid) {
    throw new AlertConfigError(
      `refusing alert file "${path}": it belongs to uid ${info.uid}, not root`,
    );
  }
  return parseAlertConfig(new TextDecoder().decode(probe.readFile(path) ?? new Uint8Array()), path);
}

/** The values of a target that must never be shown: URLs and header values. */
export function targetSecrets(target: AlertTarget): string[] {
  if (target.type === "email") return [];
  return [target.url, ...Object.values(target.type === "webhook" ? target.headers ?? {} : {})];
}
