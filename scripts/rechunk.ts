/**
 * Regroups the chunks `deno bundle --code-splitting` wrote (esbuild's: one
 * chunk per set of entry points that reach a module, about 30 of them on a
 * no-op apply's path) with Rollup, which knows what a dynamic import's
 * importer has already loaded: the code every `cm apply` runs (the CLI that
 * main.js imports dynamically and the apply command's static imports) becomes
 * one "core" chunk, the rest Rollup's own grouping. Each module a run loads
 * costs Deno a read, a code cache lookup and a link, about 0.1 ms; an empty
 * cookbook's apply loaded 42 and now loads 3 (about 5 ms less for dist/cm on
 * a machine whose empty `deno run` takes 65 ms, 2026-12-02).
 *
 * @module
 */
import { rollup } from "rollup";

/** The command whose static imports join the CLI in the core chunk, by its origin comment. */
const CORE_COMMAND = "src/cli/commands/apply.ts";

/** Whether `code` (an esbuild chunk) holds the module esbuild took from `path`. */
function holds(code: string | null | undefined, path: string): boolean {
  return (code ?? "").split("\n").includes(`// ${path}`);
}

/**
 * Rewrites the bundle whose entry is `${from}/main.js` into `to` (created;
 * entry `main.js` again). Throws when the apply command's chunk is not found
 * (esbuild stopped writing origin comments) or Rollup fails.
 */
export async function rechunk(from: string, to: string): Promise<void> {
  const bundle = await rollup({
    input: `${from}/main.js`,
    // esbuild shook the tree already; Rollup keeps every statement as it is.
    treeshake: false,
    onwarn(warning, warn) {
      // Dynamic `node:` imports stay imports, as in esbuild's output.
      if (warning.code !== "UNRESOLVED_IMPORT") warn(warning);
    },
  });
  try {
    let groups: Map<string, string> | undefined;
    await bundle.write({
      dir: to,
      format: "es",
      entryFileNames: "[name].js",
      chunkFileNames: "[name]-[hash].js",
      manualChunks(id, { getModuleIds, getModuleInfo }) {
        groups ??= manualGroups([...getModuleIds()], getModuleInfo);
        return groups.get(id);
      },
    });
  } finally {
    await bundle.close();
  }
}

type ModuleInfo = {
  isEntry: boolean;
  code: string | null;
  importedIds: readonly string[];
  dynamicallyImportedIds: readonly string[];
};

/**
 * The chunk of each module Rollup must not group itself: "core" for what the
 * CLI and CORE_COMMAND import statically, "start" for main.js's own static
 * imports (Rollup would otherwise pull them into core, which `cm --version`
 * would then load).
 */
function manualGroups(ids: string[], info: (id: string) => ModuleInfo | null): Map<string, string> {
  const main = ids.find((id) => info(id)?.isEntry);
  const command = ids.find((id) => holds(info(id)?.code, CORE_COMMAND));
  if (!main || !command) {
    throw new Error(
      `rechunk: no ${main ? CORE_COMMAND : "entry"} module among the bundle's chunks`,
    );
  }
  const start = closure(info(main)?.importedIds ?? [], info);
  const core = closure([...(info(main)?.dynamicallyImportedIds ?? []), command], info);
  return new Map([
    ...[...core].map((id): [string, string] => [id, "core"]),
    ...[...start].map((id): [string, string] => [id, "start"]),
  ]);
}

/** `roots` and every module they import statically, transitively. */
function closure(roots: readonly string[], info: (id: string) => ModuleInfo | null): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(info(id)?.importedIds ?? []));
  }
  return seen;
}
