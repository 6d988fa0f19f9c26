/**
 * Builds cm as one self-extracting executable, for build hosts where
 * `deno compile` cannot get its `denort` runtime: the POSIX sh header
 * `self_extracting_header.sh` followed by a gzip-compressed tar of this
 * deno binary and a `deno bundle` of main.ts. The target needs only sh, tar,
 * gzip and sha256sum (all essential on Debian and Ubuntu).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { VERSION } from "../src/version.ts";
import { MAIN } from "./cm_command.ts";
import { eagerFunctions } from "./eager_compile.ts";
import { rechunk } from "./rechunk.ts";

const HEADER = new URL("./self_extracting_header.sh", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** A word as sh reads it literally: bare when safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The header text for a payload with this hash, its placeholders filled;
 * `@HEADER_BYTES@` becomes the header's own length in bytes.
 */
export function header(template: string, payloadSha256: string): string {
  const filled = template
    .replaceAll("@VERSION@", VERSION)
    .replaceAll("@DENO_VERSION@", `deno ${Deno.version.deno}`)
    .replaceAll("@PAYLOAD_SHA256@", payloadSha256)
    .replaceAll("@FLAGS@", PERMISSION_FLAGS.map(shellWord).join(" "));
  // The length is part of the text: grow the guess until it holds (two rounds at most).
  let bytes = 0;
  for (;;) {
    const text = filled.replace("@HEADER_BYTES@", String(bytes));
    const length = new TextEncoder().encode(text).length;
    if (length === bytes) return text;
    bytes = length;
  }
}

/** esbuild's `__require` for CommonJS code (nunjucks): node:module, loaded when the chunk is. */
const EAGER_REQUIRE =
  /^import \{ createRequire as (\w+) \} from "node:module";\nvar __require = \1\(import\.meta\.url\);$/m;

/** The same `__require`, getting node:module when first called (process.getBuiltinModule, Node 22). */
const LAZY_REQUIRE = `var __requireOnce;
var __require = (id) => (__requireOnce ??= process.getBuiltinModule("node:module").createRequire(import.meta.url))(id);`;

/**
 * A bundle chunk with esbuild's `__require` made lazy. The chunk holding it
 * also holds the helpers nearly every chunk imports (`__export`...), so a
 * static import of node:module there started Deno's Node compatibility layer
 * on every run: 17 ms of a 43 ms empty apply (2026-12-01).
 */
export function withLazyRequire(chunk: string): string {
  return chunk.replace(EAGER_REQUIRE, LAZY_REQUIRE);
}

/** The `node:` modules a chunk imports statically (`import ... from "node:x"`), in order. */
export function staticNodeImports(chunk: string): string[] {
  return [...chunk.matchAll(/^import\b[^;]*?["'](node:[^"']+)["'];?$/gm)].map((m) => m[1]);
}

/** The chunks (`.js` files) of the bundle in `dir`, by name. */
async function chunkNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".js")) names.push(entry.name);
  }
  return names;
}

/**
 * Makes every chunk of the bundle in `dir` lazy about node:module, and cm's
 * own functions in it compiled as it loads (./eager_compile.ts).
 */
async function finishChunks(dir: string): Promise<void> {
  for (const name of await chunkNames(dir)) {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, eagerFunctions(withLazyRequire(await Deno.readTextFile(path))));
  }
}

/**
 * Checks that no chunk of the bundle in `dir` imports a `node:` module
 * statically. Throws naming the chunks that do (a new esbuild helper shape:
 * adapt EAGER_REQUIRE).
 */
async function checkNoStaticNode(dir: string): Promise<void> {
  const eager: string[] = [];
  for (const name of await chunkNames(dir)) {
    const imports = staticNodeImports(await Deno.readTextFile(`${dir}/${name}`));
    if (imports.length > 0) eager.push(`${name} (${imports.join(", ")})`);
  }
  if (eager.length > 0) {
    throw new Error(
      `the bundle imports node: modules statically, which slows every start: ${eager.join("; ")}`,
    );
  }
}

async function run(cmd: string, args: string[], cwd = ROOT): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${text.trim()}`);
  }
}

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/**
 * Writes the self-extracting cm to `output` (mode 0755).
 * Throws with the failing tool's output when bundling or packing fails.
 */
export async function buildSelfExtracting(output: string): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "cm-sfx-" });
  try {
    await Deno.mkdir(`${work}/runtime`);
    // Split at main.ts's dynamic imports, so `cm --version` or a no-op run parses only what
    // it uses, as from source (one file: 4× slower start-up); regrouped by ./rechunk.ts.
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      // "browser": npm packages' browser builds, which leave Node's `process` alone (yaml's
      // Node build reads it as it loads: 12 ms and 8 MiB a run); Deno's APIs are there either way.
      "--platform",
      "browser",
      "--code-splitting",
      "--outdir",
      `${work}/bundle`,
      MAIN,
    ]);
    await finishChunks(`${work}/bundle`);
    await rechunk(`${work}/bundle`, `${work}/runtime/cm`);
    await checkNoStaticNode(`${work}/runtime/cm`);
    await Deno.copyFile(Deno.execPath(), `${work}/runtime/deno`);
    await Deno.chmod(`${work}/runtime/deno`, 0o755);
    // Same inputs, same bytes: same hash, so a rebuild reuses the targets' caches.
    await run("tar", [
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-cf",
      `${work}/payload.tar`,
      "-C",
      `${work}/runtime`,
      "cm",
      "deno",
    ]);
    await run("gzip", ["-n", "-6", `${work}/payload.tar`]);
    const payload = `${work}/payload.tar.gz`;
    const text = header(await Deno.readTextFile(HEADER), await sha256File(payload));
    await Deno.writeTextFile(output, text, { mode: 0o755 });
    await Deno.writeFile(output, (await Deno.open(payload)).readable, { append: true });
    await Deno.chmod(output, 0o755);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
