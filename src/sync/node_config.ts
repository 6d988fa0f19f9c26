/**
 * Reading the node configuration on every run (`cm apply`'s monitoring
 * settings, `cm sync`'s repository): the file is found here, and its parsed
 * form is cached in the state directory (`node_config.json`) under the key of
 * its bytes and cm's build, so that a run whose file did not change loads
 * neither zod nor the YAML parser (./config_schema.ts, imported on a miss).
 * A file with problems is never cached: every run reports them again.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import { inputFailure, MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { UsageError } from "../errors.ts";
import { inputKey, keyingReads } from "../cookbook/catalog.ts";
import { statePaths } from "../state/paths.ts";
import { readKeyed, unlessRefused, writeKeyed } from "../state/keyed_cache.ts";
import type { NodeConfig } from "./config_schema.ts";

/** Where the node configuration lives unless `CM_CONFIG` or `--config` says otherwise. */
export const DEFAULT_CONFIG_PATH = "/etc/config-manager/config.yaml";

/** Which node configuration to read, and where its parsed form is cached. */
export interface NodeConfigOptions {
  /** `--config FILE`; else `CM_CONFIG`, else {@link DEFAULT_CONFIG_PATH}. */
  flag?: string;
  /** The state directory (`--state-dir`; else `CM_STATE_DIR`, else the default) holding the cache. */
  stateDir?: string;
  /**
   * Writes the cache after a parse, when the state directory exists: given by
   * the commands that record runs, never by a check (which changes nothing).
   */
  exec?: Executor;
}

/**
 * The node configuration file (`flag`, else `CM_CONFIG`, else the default
 * path) and its bytes, read through `probe`; `null` bytes when the default
 * file does not exist.
 *
 * @throws {UsageError} when a file named by `flag` or `CM_CONFIG` is missing,
 *   or is not a regular file of at most 16 MiB
 */
function nodeConfigFile(
  probe: Probe,
  flag?: string,
): { file: string; data: Uint8Array | null } {
  const { file, explicit } = configPath(flag);
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
 * Whether something is at `file`.
 *
 * @throws {UsageError} when cm may not look there (`CM_CONFIG=/proc/self/environ`):
 *   said as for any input, not as a cm started without its permission flags
 */
function configExists(probe: Probe, file: string): boolean {
  try {
    return probe.stat(file) !== null;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    throw new UsageError(`cannot read node configuration: ${inputFailure(file, error)}`);
  }
}

function configPath(flag?: string): { file: string; explicit: boolean } {
  const explicit = flag ?? Deno.env.get("CM_CONFIG");
  return { file: explicit ?? DEFAULT_CONFIG_PATH, explicit: explicit !== undefined };
}

/**
 * The node configuration (see {@link NodeConfigOptions}), the file it was
 * read from, and whether that file exists: a missing default file is an empty
 * configuration. From the cache while the file's bytes and cm's build are
 * those it was parsed with; else parsed (and cached when `exec` is given).
 *
 * @throws {ConfigError} for problems in the file
 * @throws {UsageError} when a file named by `flag` or `CM_CONFIG` is missing or unreadable
 * @throws {StateError} when the cache is a directory or device, or cannot be read
 */
export async function readNodeConfig(
  probe: Probe,
  { flag, stateDir, exec }: NodeConfigOptions = {},
): Promise<{ config: NodeConfig; file: string; found: boolean }> {
  const { file } = configPath(flag);
  const cache = statePaths(stateDir);
  const inputs = { requested: [file], files: [file] };
  const key = configExists(probe, file) && probe.stat(cache.nodeConfig)
    ? await inputKey(probe, inputs)
    : null;
  const cached = key === null ? undefined : readKeyed(probe, cache.nodeConfig, key, configShaped);
  if (cached) return { config: cached, file, found: true };
  // The bytes parsed key the cache: a file edited meanwhile must not key what its old bytes made.
  const reads = keyingReads(probe);
  const { data } = nodeConfigFile(reads.probe, flag);
  if (data === null) return { config: {}, file, found: false };
  const { parseNodeConfig } = await import("./config_schema.ts");
  const config = parseNodeConfig(new TextDecoder().decode(data), file);
  const parsed = await reads.key(inputs);
  // Best effort: the run's own lock and state writes name a state directory that refuses it.
  if (exec && parsed !== null && exec.stat(cache.dir)) {
    await unlessRefused(() => writeKeyed(exec, cache.nodeConfig, parsed.key, config));
  }
  return { config, file, found: true };
}

/**
 * Whether a cached value has the shape of a {@link NodeConfig}: a mapping of
 * strings, numbers, true or false, and lists of strings (a damaged cache that
 * is still JSON is parsed afresh, not trusted).
 */
function configShaped(value: unknown): value is NodeConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) =>
    ["string", "number", "boolean"].includes(typeof v) ||
    Array.isArray(v) && v.every((item) => typeof item === "string")
  );
}
