/**
 * `deno task compile`: builds dist/cm, one executable with the permission
 * flags of src/permissions.ts baked in. Needs the `denort` runtime: Deno
 * downloads it, or set DENORT_BIN=/path/to/denort offline.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { MAIN } from "./cm_command.ts";

/** Builds the binary at `output`; resolves to whether it worked and what deno said. */
export async function compile(output: string): Promise<{ ok: boolean; log: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...PERMISSION_FLAGS, "--output", output, MAIN],
  }).output();
  const log = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { ok: code === 0, log };
}

if (import.meta.main) {
  const output = Deno.args[0] ?? new URL("../dist/cm", import.meta.url).pathname;
  const { ok, log } = await compile(output);
  console.log(log.trim());
  if (!ok) {
    console.error(
      `cm: the binary was not built: deno compile failed (it needs network access to download denort, or DENORT_BIN=/path/to/denort)`,
    );
    Deno.exit(1);
  }
  console.log(`built ${output}`);
}
