/**
 * Delivers one alert event to one target: webhooks through curl (URL,
 * headers and body on curl's stdin, never in argv), mail through the local
 * `sendmail -t -i` (message on stdin). Formatting is pure and separate.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { AlertTarget } from "./alert_config.ts";
import { targetSecrets } from "./alert_config.ts";
import { CURL_ARGV, curlConfig } from "./_curl.ts";
import { humanTime, maskSecrets } from "../text.ts";

/** One alert: a problem that started, or one that recovered. */
export interface AlertEvent {
  kind: "problem" | "recovery";
  /** The stable key of the problem, e.g. `health:http[http://127.0.0.1/]`. */
  key: string;
  severity: "critical" | "warning";
  summary: string;
  details?: string;
  host: string;
  /** When the event was raised (ISO 8601). */
  at: string;
  /** When the problem started (ISO 8601). */
  since: string;
}

/** The JSON body of a generic webhook. */
export function webhookBody(event: AlertEvent): string {
  return JSON.stringify({ source: "cm", ...event });
}

function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The JSON body of a Slack-compatible incoming webhook: `{"text": ...}`. */
export function slackBody(event: AlertEvent): string {
  const head = event.kind === "problem"
    ? `:red_circle: *${slackEscape(event.host)}* ${event.severity}: ${slackEscape(event.summary)}`
    : `:large_green_circle: *${slackEscape(event.host)}* recovered: ${slackEscape(event.summary)}`;
  const details = event.details ? `\n\`\`\`${slackEscape(event.details)}\`\`\`` : "";
  return JSON.stringify({ text: `${head}${details}` });
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

/** A header value, RFC 2047-encoded when it is not plain ASCII. */
function headerText(text: string): string {
  const line = oneLine(text);
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  const bytes = new TextEncoder().encode(line);
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** The mail subject: `[cm] web1: PROBLEM health check failed`. */
export function mailSubject(event: AlertEvent): string {
  return `[cm] ${event.host}: ${
    event.kind === "problem" ? "PROBLEM" : "RECOVERED"
  } ${event.summary}`;
}

/** The whole message for `sendmail -t -i` (recipients from its To: header). */
export function mailMessage(
  event: AlertEvent,
  to: string[],
  from: string | undefined,
  now: Date,
): string {
  const headers = [
    `To: ${to.join(", ")}`,
    ...(from ? [`From: ${from}`] : []),
    `Subject: ${headerText(mailSubject(event))}`,
    `Date: ${now.toUTCString().replace("GMT", "+0000")}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "Auto-Submitted: auto-generated",
  ];
  const body = [
    `${event.kind === "problem" ? "Problem" : "Recovered"}: ${event.summary}`,
    `Host: ${event.host}`,
    `Severity: ${event.severity}`,
    `Key: ${event.key}`,
    `Since: ${humanTime(event.since)}`,
    `At: ${humanTime(event.at)}`,
    ...(event.details ? ["", event.details] : []),
  ];
  return `${headers.join("\n")}\n\n${body.join("\n")}\n`;
}

/** The curl config that POSTs `body` as JSON to a webhook target. */
export function webhookConfig(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutSeconds: number,
): string {
  return curlConfig([
    ["url", url],
    ["silent"],
    ["show-error"],
    ["fail"],
    ["max-time", String(timeoutSeconds)],
    ["header", "Content-Type: application/json"],
    ...Object.entries(headers).map((
      [name, value],
    ): [string, string] => ["header", `${name}: ${value}`]),
    ["data-binary", body],
  ]);
}

/**
 * Sends `event` to `target`. Resolves to `null` on success or to the reason
 * it failed (secrets masked); never throws for a failed delivery.
 */
export async function send(
  exec: Executor,
  target: AlertTarget,
  event: AlertEvent,
  timeoutSeconds: number,
  now = new Date(),
): Promise<string | null> {
  const timeoutMs = timeoutSeconds * 1000 + 5000;
  const result = target.type === "email"
    ? await exec.run(["sendmail", "-t", "-i"], {
      stdin: mailMessage(event, target.to, target.from, now),
      timeoutMs,
    })
    : await exec.run([...CURL_ARGV], {
      stdin: target.type === "slack"
        ? webhookConfig(target.url, {}, slackBody(event), timeoutSeconds)
        : webhookConfig(target.url, target.headers ?? {}, webhookBody(event), timeoutSeconds),
      timeoutMs,
    });
  if (result.code === 0) return null;
  const tool = target.type === "email" ? "sendmail" : "curl";
  const text = (result.stderr || result.stdout).trim().split("\n").slice(-2).join(" ");
  return maskSecrets(
    `${tool} exited ${result.code}${text ? `: ${text}` : ""}`,
    targetSecrets(target),
  );
}
