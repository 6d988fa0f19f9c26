/**
 * The modules a no-op `cm apply` loads (with a fresh catalog: no YAML parse,
 * no schema) must not reach a `node:` module or an npm package statically:
 * Node's compatibility layer costs a run 6 to 24 ms per module at start, zod
 * 20 ms, yaml 32 ms (issue 8). They are imported lazily where really needed
 * (a cache miss, an alert file, chown through a descriptor, a huge input).
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

/**
 * What a no-op `cm apply` imports: main.ts's imports, and the dynamic imports
 * it always takes; and the node configuration's readers (`cm apply`'s, and
 * `cm sync`'s settings), whose parser loads only when the file changed.
 */
const ROOTS = [
  "src/cli/mod.ts",
  "src/cli/commands/apply.ts",
  "src/cli/exit.ts",
  "src/cli/journal.ts",
  "src/sync/node_config.ts",
  "src/sync/config.ts",
];

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}

interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

/** The modules of `root`'s graph by specifier, from `deno info --json`. */
async function graphOf(root: string): Promise<Map<string, Module>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(root, ROOT).pathname],
    cwd: ROOT.pathname,
    stdout: "piped",
  }).output();
  assert.equal(out.code, 0, `deno info ${root} failed`);
  const info: { modules: Module[] } = JSON.parse(new TextDecoder().decode(out.stdout));
  return new Map(info.modules.map((m) => [m.specifier, m]));
}

/**
 * Each `node:` or `npm:` module reachable from `root` through static code
 * imports (not `import type`, not `import()`), as the chain that reaches it.
 */
export async function heavyImports(root: string): Promise<string[]> {
  const modules = await graphOf(root);
  const start = new URL(root, ROOT).href;
  const via = new Map<string, string | null>([[start, null]]);
  const found: string[] = [];
  for (const specifier of via.keys()) {
    if (/^(node|npm):/.test(specifier)) {
      found.push(chain(via, specifier));
      continue;
    }
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic && !via.has(dep.code.specifier)) {
        via.set(dep.code.specifier, specifier);
      }
    }
  }
  return found;
}

/** "node:fs <- src/exec/real.ts <- src/app/converge.ts": how `specifier` was reached. */
function chain(via: Map<string, string | null>, specifier: string): string {
  const links = [];
  for (let at: string | null = specifier; at; at = via.get(at) ?? null) {
    links.push(at.replace(ROOT.href, ""));
  }
  return links.join(" <- ");
}

Deno.test("a no-op apply's modules import no node: module and no npm package statically", async () => {
  const found = (await Promise.all(ROOTS.map(heavyImports))).flat();
  assert.deepEqual([...new Set(found)], []);
});

Deno.test("the check finds a node: module and an npm package behind other modules", async () => {
  assert.match((await heavyImports("src/cookbook/load.ts")).join("\n"), /^npm:zod@.* <- /m);
  assert.match((await heavyImports("scripts/check_layers.ts")).join("\n"), /^node:path <- /m);
});
