/**
 * The catalog file (`catalog.json` in the state directory): the bytes of the
 * last loaded cookbooks, read and written here; what they mean and when they
 * are still fresh is decided by `src/cookbook/catalog.ts`.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import type { Cookbook } from "../cookbook/cookbook.ts";
import { freeze, type InputsKey, thaw, type ThawResult } from "../cookbook/catalog.ts";
import { onStatePath } from "./_os_error.ts";

/**
 * The cached cookbooks at `path` for `requested` loaded with the node's vars
 * file `varsFile` (see {@link ThawResult}); nothing when absent.
 */
export async function readCatalog(
  probe: Probe,
  path: string,
  requested: string[],
  varsFile?: string,
): Promise<ThawResult> {
  const text = onStatePath("read cookbook cache", path, () => probe.readText(path));
  return text === null ? { thawed: null } : await thaw(probe, text, requested, varsFile);
}

/**
 * Saves loaded cookbooks and their desired digests as the catalog at `path`
 * (0600, atomically through the executor), keyed by the bytes they were
 * loaded from (`loaded`), unless they must not be cached (see `freeze`).
 */
export async function writeCatalog(
  exec: Executor,
  path: string,
  cookbook: Cookbook,
  digests: Record<string, string>,
  loaded?: InputsKey | null,
): Promise<void> {
  const data = await freeze(exec, cookbook, digests, loaded);
  if (data) {
    onStatePath("write cookbook cache", path, () => {
      exec.writeFile(path, data, { mode: 0o600 });
      exec.flush();
    });
  }
}
