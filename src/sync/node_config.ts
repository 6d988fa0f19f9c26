/**
 * Reading the node configuration on every run (`cm apply`'s monitoring
 * settings): the file is found here, and its parser (./config.ts: zod and the
 * YAML parser) is imported only when the file exists.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { UsageError } from "../errors.ts";
import type { NodeConfig } from "./config.ts";

/** Where the node configuration lives unless `CM_CONFIG` or `--config` says otherwise. */
export const DEFAULT_CONFIG_PATH = "/etc/config-manager/config.yaml";

/**
 * The node configuration file (`flag`, else `CM_CONFIG`, else the default
 * path) and its bytes; `null` bytes when the default file does not exist.
 *
 * @throws {UsageError} when a file named by `flag` or `CM_CONFIG` is missing,
 *   or is not a regular file of at most 16 MiB
 */
export function nodeConfigFile(
  probe: Probe,
  flag?: string,
): { file: string; data: Uint8Array | null } {
  const explicit = flag ?? Deno.env.get("CM_CONFIG");
  const file = explicit ?? DEFAULT_CONFIG_PATH;
  if (!probe.stat(file)) {
    if (explicit) throw new UsageError(`cannot read node configuration "${file}": no such file`);
    return { file, data: null };
  }
  // A regular file of bounded size: CM_CONFIG=/dev/zero must not fill the memory.
  const data = readInputVia(probe, file, MAX_COOKBOOK_BYTES);
  if ("error" in data) throw new UsageError(`cannot read node configuration: ${data.error}`);
  return { file, data };
}

/**
 * The node configuration (see {@link nodeConfigFile}); a missing default
 * file is an empty configuration.
 *
 * @throws {ConfigError} for problems in the file
 * @throws {UsageError} when a file named by `flag` or `CM_CONFIG` is missing
 */
export async function loadNodeConfig(probe: Probe, flag?: string): Promise<NodeConfig> {
  const { file, data } = nodeConfigFile(probe, flag);
  if (data === null) return {};
  const { parseNodeConfig } = await import("./config.ts");
  return parseNodeConfig(new TextDecoder().decode(data), file);
}
