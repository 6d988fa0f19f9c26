/**
 * `deno task compile` for real: where Deno can get its `denort` runtime
 * (network, or DENORT_BIN), the binary is built and run; elsewhere the test
 * says in one line that it was not built and why, and checks that the only
 * reason is the missing runtime, not a problem in cm.
 */
import assert from "node:assert/strict";
import { compile } from "../scripts/compile.ts";
import { tempDir } from "./harness.ts";

Deno.test("deno compile builds one executable that runs cm with the baked permissions", async () => {
  await using dir = await tempDir();
  const binary = `${dir.path}/cm`;
  const { ok, log } = await compile(binary);
  if (!ok) {
    assert.match(log, /denort/, `deno compile failed for another reason than its runtime:\n${log}`);
    const reason = /dns error|failed to lookup|error sending request|Connect/.test(log)
      ? "Deno's release host is unreachable from here and DENORT_BIN is not set"
      : log.trim().split("\n").at(-1);
    console.log(`cm binary NOT built: deno compile could not get the denort runtime (${reason})`);
    return;
  }
  const run = (args: string[]) => new Deno.Command(binary, { args }).output();
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(new TextDecoder().decode(version.stdout), /^\d+\.\d+\.\d+\n$/);
  const book = `${dir.path}/book.yaml`;
  await Deno.writeTextFile(
    book,
    `configure:\n  files:\n    - path: ${dir.path}/out\n      content: x\n`,
  );
  const applied = await run(["apply", "--state-dir", `${dir.path}/state`, book]);
  assert.equal(applied.code, 0, new TextDecoder().decode(applied.stderr));
  assert.equal(await Deno.readTextFile(`${dir.path}/out`), "x");
  console.log(`cm binary built and run: ${binary}`);
});
