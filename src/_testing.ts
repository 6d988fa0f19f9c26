/**
 * Helpers for the unit tests under src/ (and the tests/ harness).
 *
 * @module
 */

/** A fresh temporary directory, removed when disposed. */
export async function tempDir(prefix = "cm-test-"): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
