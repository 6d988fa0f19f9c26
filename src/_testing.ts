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

/** Every module `path` imports statically (dynamic `import()`s and what they pull are left out). */
export async function staticImports(path: string): Promise<Set<string>> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", path],
    stdout: "piped",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(stdout));
  const statics = new Set<string>();
  const visit = (specifier: string) => {
    if (statics.has(specifier)) return;
    statics.add(specifier);
    const module = graph.modules.find((m: { specifier: string }) => m.specifier === specifier);
    for (const dep of module?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code?.specifier) visit(dep.code.specifier);
    }
  };
  visit(graph.roots[0]);
  return statics;
}
