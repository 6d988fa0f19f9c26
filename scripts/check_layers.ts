/**
 * Checks the import graph against the layers of the README's architecture
 * section: a module imports only from its own folder or a lower layer, and a
 * folder's `_x.ts` files only from inside that folder. Test code (`*_test.ts`,
 * `tests/`, `bench/`, `scripts/`) may import any public module, and
 * `_testing.ts` helpers from anywhere. "Folder" means a package, as in
 * denoland/std: `src/<name>/` or a top-level folder, with its subfolders.
 * Exits 1 listing every offending import.
 *
 * Usage: `deno run -A scripts/check_layers.ts [ROOT]`
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";

/** The layers, lowest first; a path matches the first prefix it starts with. */
export const LAYERS: readonly (readonly string[])[] = [
  [
    "src/errors.ts",
    "src/text.ts",
    "src/version.ts",
    "src/permissions.ts",
    "src/digest.ts",
    "src/seal.ts",
    "src/posix_path.ts",
  ],
  ["src/exec/"],
  ["src/facts/"],
  ["resources/"],
  ["src/cookbook/"],
  ["src/engine/"],
  ["src/state/"],
  // Monitor (health, metrics, alerts, audit): blocks that app's verify, rollback, drift and
  // watch use cases call.
  ["src/monitor/"],
  ["src/app/"],
  ["src/sync/"],
  ["src/cli/"],
  ["main.ts", "mod.ts"],
];

/** Where a module sits: its layer index and its folder, or null outside the layers. */
export function placeOf(path: string): { layer: number; folder: string } | null {
  for (const [layer, prefixes] of LAYERS.entries()) {
    const prefix = prefixes.find((p) => p.endsWith("/") ? path.startsWith(p) : path === p);
    if (prefix) return { layer, folder: prefix.endsWith("/") ? prefix : dirname(path) + "/" };
  }
  return null;
}

/** The package a path belongs to: `src/cli/` for `src/cli/commands/x.ts`, `tests/` for tests. */
export function packageOf(path: string): string {
  const parts = path.split("/");
  if (parts.length === 1) return "";
  return parts[0] === "src" && parts.length > 2 ? `src/${parts[1]}/` : `${parts[0]}/`;
}

function isTestCode(path: string): boolean {
  return path.endsWith("_test.ts") || /^(tests|bench|scripts)\//.test(path);
}

/**
 * Why importing `to` from `from` breaks a rule, or null when it is allowed.
 * Both are paths relative to the project root.
 */
export function violation(from: string, to: string): string | null {
  const name = to.slice(to.lastIndexOf("/") + 1);
  const samePackage = packageOf(from) === packageOf(to);
  if (name.startsWith("_") && !samePackage && !(name === "_testing.ts" && isTestCode(from))) {
    return `imports ${to}, private to ${packageOf(to) || "the root"}`;
  }
  if (isTestCode(from)) return null;
  const a = placeOf(from);
  const b = placeOf(to);
  if (!a || !b) return null;
  if (a.folder === b.folder || b.layer < a.layer) return null;
  return b.layer === a.layer
    ? `imports ${to}, a sibling folder of the same layer`
    : `imports ${to}, an upper layer (${b.folder} above ${a.folder})`;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The relative `.ts` specifiers a source text imports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith(".") && spec.endsWith(".ts")) found.push(spec);
  }
  return found;
}

function* sources(root: string, dir = ""): Generator<string> {
  for (const entry of Deno.readDirSync(join(root, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !/^(\.|node_modules$|dist$|testdata$)/.test(entry.name)) {
      yield* sources(root, path);
    } else if (entry.isFile && path.endsWith(".ts")) yield path;
  }
}

if (import.meta.main) {
  const root = resolve(Deno.args[0] ?? ".");
  const problems: string[] = [];
  let edges = 0;
  for (const from of sources(root)) {
    for (const spec of importsOf(Deno.readTextFileSync(join(root, from)))) {
      const to = relative(root, resolve(root, dirname(from), spec));
      edges++;
      const why = violation(from, to);
      if (why) problems.push(`${from}: ${why}`);
    }
  }
  for (const p of problems) console.error(`layers: ${p}`);
  console.log(`layers: ${edges} imports checked, ${problems.length} violation(s)`);
  if (problems.length) Deno.exit(1);
}
