/**
 * A JSON value cached in a state file under a key (a hash of what it was made
 * from, e.g. `inputKey` of src/cookbook/catalog.ts): `{"key": ..., "value": ...}`;
 * or, when the value holds secrets, sealed (src/seal.ts) under the text that
 * key hashes: `{"sealed": ...}`, no key in the clear. A reader that finds
 * another key, or a damaged file, makes the value afresh.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import { seal, unseal } from "../seal.ts";
import { StateError } from "../errors.ts";
import { onStatePath } from "./_os_error.ts";

/**
 * `fn`'s result (a cache read or write), or `undefined` when the state
 * directory will not hold the cache: an OS error ({@link StateError}: full,
 * read-only, a directory in its place) or permission denied (a file made
 * immutable, or root's in the state directory of a run as another user). A
 * cache is no reason to stop; the run's own state writes report such a
 * directory. Anything else is thrown.
 */
export async function unlessRefused<T>(fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StateError || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The value cached at `path` under `key`, when `shaped` accepts it;
 * `undefined` when the file is absent, damaged, or holds another key's.
 *
 * @throws {StateError} when `path` is a directory, FIFO or device, or cannot be read
 */
export function readKeyed<T>(
  probe: Probe,
  path: string,
  key: string,
  shaped: (value: unknown) => value is T,
): T | undefined {
  const text = onStatePath("read cache", path, () => probe.readText(path));
  if (text === null) return undefined;
  let cached: unknown;
  try {
    cached = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { key: found, value } = (cached ?? {}) as { key?: unknown; value?: unknown };
  return found === key && shaped(value) ? value : undefined;
}

/**
 * Caches the JSON `value` at `path` under `key`: written atomically (0600)
 * through `exec`.
 *
 * @throws {StateError} for an OS error other than permission denied (which passes through)
 */
export function writeKeyed(exec: Executor, path: string, key: string, value: unknown): void {
  const data = new TextEncoder().encode(JSON.stringify({ key, value }));
  onStatePath("write cache", path, () => exec.writeFile(path, data, { mode: 0o600 }));
}

/**
 * The JSON value sealed at `path` for `purpose` under `text` (see
 * {@link writeSealed}); `undefined` when the file is absent, damaged, or was
 * sealed under another text (what it was made from changed).
 *
 * @throws {StateError} when `path` is a directory, FIFO or device, or cannot be read
 */
export async function readSealed(
  probe: Probe,
  path: string,
  purpose: string,
  text: string,
): Promise<unknown> {
  const stored = onStatePath("read cache", path, () => probe.readText(path));
  if (stored === null) return undefined;
  try {
    const { sealed } = JSON.parse(stored) ?? {};
    const plain = typeof sealed === "string" ? await unseal(purpose, text, sealed) : null;
    return plain === null ? undefined : JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return undefined;
  }
}

/**
 * Caches the JSON `value` at `path` sealed for `purpose` under `text` (the
 * text whose hash would key it: see `keyOf` in src/cookbook/catalog.ts),
 * written atomically (0600) through `exec`.
 *
 * @throws {StateError} for an OS error other than permission denied (which passes through)
 */
export async function writeSealed(
  exec: Executor,
  path: string,
  purpose: string,
  text: string,
  value: unknown,
): Promise<void> {
  const sealed = await seal(purpose, text, new TextEncoder().encode(JSON.stringify(value)));
  const data = new TextEncoder().encode(JSON.stringify({ sealed }));
  onStatePath("write cache", path, () => exec.writeFile(path, data, { mode: 0o600 }));
}
