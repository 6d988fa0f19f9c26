/**
 * dist/cm kept current for the tests and benchmarks: rebuilt (`deno task
 * compile`'s {@linkcode build}) when missing or when any input changed since
 * it was built. The inputs' fingerprint and the artefact kind are kept beside
 * it in `dist/cm.stamp`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Artefact, build, DIST_CM } from "./compile.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const STAMP = `${DIST_CM}.stamp`;
/** What goes into dist/cm: cm's code, its dependencies, the build scripts. */
const INPUTS = ["main.ts", "deno.json", "deno.lock", "src", "resources", "scripts"];

function* files(path: string): Generator<string> {
  const info = Deno.statSync(path);
  if (!info.isDirectory) {
    yield path;
    return;
  }
  const names = [...Deno.readDirSync(path)].map((e) => e.name).sort();
  for (const name of names) {
    if (!name.endsWith("_test.ts")) yield* files(`${path}/${name}`);
  }
}

/** SHA-256 (hex) over the deno version and every input file's path and bytes. */
export function inputsFingerprint(): string {
  const hash = createHash("sha256").update(`deno ${Deno.version.deno}\n`);
  for (const top of INPUTS) {
    for (const path of files(`${ROOT}${top}`)) {
      hash.update(`\n${path.slice(ROOT.length)}\n`).update(Deno.readFileSync(path));
    }
  }
  return hash.digest("hex");
}

/** Which artefact dist/cm is and the fingerprint it was built from. */
interface Stamp {
  inputs: string;
  artefact: Artefact;
}

/** dist/cm's path and kind, and whether this call built it. */
interface Dist {
  path: string;
  artefact: Artefact;
  built: boolean;
}

let current: Promise<Dist> | undefined;

/**
 * Resolves to dist/cm's path and kind, building it first when it is missing
 * or stale (once per process). Throws when the build fails.
 */
export function ensureDistCm(): Promise<Dist> {
  current ??= (async () => {
    const inputs = inputsFingerprint();
    const stamp = await Deno.readTextFile(STAMP).then((t) => JSON.parse(t) as Stamp, () => null);
    const exists = await Deno.stat(DIST_CM).then(() => true, () => false);
    if (exists && stamp?.inputs === inputs) {
      return { path: DIST_CM, artefact: stamp.artefact, built: false };
    }
    const { artefact } = await build(DIST_CM);
    await Deno.writeTextFile(STAMP, JSON.stringify({ inputs, artefact } satisfies Stamp) + "\n");
    return { path: DIST_CM, artefact, built: true };
  })();
  current.catch(() => current = undefined);
  return current;
}

if (import.meta.main) {
  // `deno task dist`: builds dist/cm only when stale (bootstrap --dev, a second time, builds nothing).
  const { path, artefact, built } = await ensureDistCm();
  console.error(built ? `built ${path}: ${artefact}` : `${path}: ${artefact}, current`);
}
