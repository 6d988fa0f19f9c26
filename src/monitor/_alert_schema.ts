/**
 * The schema of the alert file (./alert_config.ts) and its parser: zod and
 * the YAML parser, imported only when an alert file exists.
 *
 * @module
 */
import { z } from "zod";
import { seconds } from "../../resources/duration.ts";
import { CookbookError, type Problem } from "../errors.ts";
import { parseYaml, schemaProblems } from "../cookbook/yaml_source.ts";

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
  timeout: seconds(0.001, 120).default(10).describe("Seconds one delivery may take."),
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
    // targets.NAME.url / targets.NAME.headers.X: secrets the file is root-only for.
    (path) => path[0] === "targets" && (path[2] === "url" || path[2] === "headers"),
  );
  throw new CookbookError(problems);
}
