/**
 * `deno task compile [--self-extracting] [OUTPUT]`: builds dist/cm, one
 * executable running cm under the permission flags of src/permissions.ts.
 *
 * - With `deno compile` when it can get its `denort` runtime (Deno downloads
 *   it, or DENORT_BIN=/path/to/denort offline).
 * - Otherwise (or with --self-extracting): a self-extracting executable, a sh
 *   header and a compressed deno + bundle of cm (scripts/self_extracting.ts).
 *
 * Prints which of the two it built.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { MAIN } from "./cm_command.ts";
import { buildSelfExtracting } from "./self_extracting.ts";

/** The two kinds of dist/cm, as `cm --version` names them. */
export type Artefact = "deno compile binary" | "self-extracting executable";

/** Where `deno task compile` puts cm by default. */
export const DIST_CM = new URL("../dist/cm", import.meta.url).pathname;

/** Builds the binary at `output` with `deno compile`; resolves to whether it worked and what deno said. */
export async function compile(output: string): Promise<{ ok: boolean; log: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...PERMISSION_FLAGS, "--output", output, MAIN],
  }).output();
  const log = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { ok: code === 0, log };
}

/**
 * Builds cm at `output`: `deno compile` unless `selfExtracting` is set or
 * `denort` cannot be had, then the self-extracting executable. Resolves to
 * the artefact built and, when `deno compile` was tried and given up, why.
 * Throws when `deno compile` fails for another reason than its runtime, or the
 * self-extracting build fails.
 */
export async function build(
  output: string,
  opts: { selfExtracting?: boolean } = {},
): Promise<{ artefact: Artefact; fallback?: string }> {
  await Deno.mkdir(output.slice(0, output.lastIndexOf("/")) || "/", { recursive: true });
  // Built beside the output and renamed over it: deno compile refuses to overwrite
  // another kind of file, and a half-built cm never sits at the output path.
  const temp = `${output}.${Deno.pid}.tmp`;
  try {
    const made = await buildAt(temp, opts.selfExtracting ?? false);
    await Deno.rename(temp, output);
    return made;
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

async function buildAt(
  output: string,
  selfExtracting: boolean,
): Promise<{ artefact: Artefact; fallback?: string }> {
  let fallback: string | undefined;
  if (!selfExtracting) {
    const { ok, log } = await compile(output);
    if (ok) return { artefact: "deno compile binary" };
    if (!/denort/.test(log)) throw new Error(`deno compile failed:\n${log.trim()}`);
    fallback = denortReason(log);
  }
  await buildSelfExtracting(output);
  return { artefact: "self-extracting executable", fallback };
}

/** One line saying why `deno compile` could not get `denort`, from its output. */
export function denortReason(log: string): string {
  return /dns error|failed to lookup|error sending request|Connect/.test(log)
    ? "Deno's release host is unreachable from here and DENORT_BIN is not set"
    : log.trim().split("\n").filter((l) => /denort/.test(l)).at(-1) ?? "no denort";
}

if (import.meta.main) {
  const selfExtracting = Deno.args.includes("--self-extracting");
  const output = Deno.args.find((a) => !a.startsWith("--")) ?? DIST_CM;
  try {
    const { artefact, fallback } = await build(output, { selfExtracting });
    if (fallback) console.log(`deno compile: no denort runtime (${fallback})`);
    const size = (await Deno.stat(output)).size / 2 ** 20;
    console.log(`built ${output}: ${artefact}, ${size.toFixed(1)} MiB`);
  } catch (e) {
    console.error(`cm: the binary was not built: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
