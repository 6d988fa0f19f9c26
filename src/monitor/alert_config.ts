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
 * The file is checked here; zod and the YAML parser (./_alert_schema.ts)
 * load only when it exists, not on every run.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { AlertConfigError } from "../errors.ts";
import type { AlertConfig, AlertTarget } from "./_alert_schema.ts";
export type { AlertConfig, AlertTarget };

/** Where the alert configuration lives unless configured otherwise. */
export const DEFAULT_ALERTS_PATH = "/etc/config-manager/alerts.yaml";

/**
 * Reads the alert file at `path`: refused ({@link AlertConfigError}) when it
 * is not a regular file, group or others may access it, or neither root nor
 * `myUid` owns it; `null` when it does not exist (alerts are off). Invalid
 * content throws {@link CookbookError}.
 */
export async function readAlertConfig(
  probe: Probe,
  path = DEFAULT_ALERTS_PATH,
  myUid = Deno.uid(),
): Promise<AlertConfig | null> {
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
  const { parseAlertConfig } = await import("./_alert_schema.ts");
  return parseAlertConfig(new TextDecoder().decode(probe.readFile(path) ?? new Uint8Array()), path);
}

/** The values of a target that must never be shown: URLs and header values. */
export function targetSecrets(target: AlertTarget): string[] {
  if (target.type === "email") return [];
  return [target.url, ...Object.values(target.type === "webhook" ? target.headers ?? {} : {})];
}
