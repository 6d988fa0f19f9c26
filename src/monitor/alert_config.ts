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
 * load only when it exists and, given a cache, only when its bytes changed:
 * the parsed form is cached sealed, as it holds the targets' URLs and tokens
 * (a run with an alert file otherwise costs 30 ms and 10 MiB more).
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import { AlertConfigError } from "../errors.ts";
import { keyingReads, keyOf } from "../cookbook/catalog.ts";
import { readSealed, unlessRefused, writeSealed } from "../state/keyed_cache.ts";
import type { AlertConfig, AlertTarget } from "./_alert_schema.ts";
export type { AlertConfig, AlertTarget };

/** Where the alert configuration lives unless configured otherwise. */
export const DEFAULT_ALERTS_PATH = "/etc/config-manager/alerts.yaml";

/** Where the parsed alert configuration is cached (the state directory's `alert_config.json`). */
export interface AlertConfigCache {
  exec: Executor;
  path: string;
}

/**
 * Reads the alert file at `path`: refused ({@link AlertConfigError}) when it
 * is not a regular file, group or others may access it, or neither root nor
 * `myUid` owns it; `null` when it does not exist (alerts are off). Invalid
 * content throws {@link CookbookError} and is never cached. With `cache`, the
 * parsed form comes from there while the file's bytes and cm's build are those
 * it was parsed with; a cache that cannot be read or written is passed over.
 */
export async function readAlertConfig(
  probe: Probe,
  path = DEFAULT_ALERTS_PATH,
  myUid = Deno.uid(),
  cache?: AlertConfigCache,
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
  return cache ? await cachedConfig(probe, path, cache) : await parseFile(probe, path);
}

async function parseFile(probe: Probe, path: string): Promise<AlertConfig> {
  const { parseAlertConfig } = await import("./_alert_schema.ts");
  return parseAlertConfig(new TextDecoder().decode(probe.readFile(path) ?? new Uint8Array()), path);
}

const SEAL_PURPOSE = "alerts";

async function cachedConfig(
  probe: Probe,
  path: string,
  cache: AlertConfigCache,
): Promise<AlertConfig> {
  const inputs = { requested: [path], files: [path] };
  const keyed = probe.stat(cache.path) ? await keyOf(probe, inputs) : null;
  const hit = keyed &&
    await unlessRefused(() => readSealed(probe, cache.path, SEAL_PURPOSE, keyed.text));
  if (hit) return hit as AlertConfig;
  // The bytes parsed key the cache: a file edited meanwhile must not key what its old bytes made.
  const reads = keyingReads(probe);
  const config = await parseFile(reads.probe, path);
  const parsed = await reads.key(inputs);
  if (parsed) {
    await unlessRefused(() =>
      writeSealed(cache.exec, cache.path, SEAL_PURPOSE, parsed.text, config)
    );
  }
  return config;
}

/** The values of a target that must never be shown: URLs and header values. */
export function targetSecrets(target: AlertTarget): string[] {
  if (target.type === "email") return [];
  return [target.url, ...Object.values(target.type === "webhook" ? target.headers ?? {} : {})];
}
