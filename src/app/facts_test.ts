import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { readSavedFacts } from "./facts.ts";

Deno.test("a facts file that is a device is refused before it is read; a saved one reads back", async () => {
  const exec = new RealExecutor();
  assert.throws(
    () => readSavedFacts(exec, "/dev/zero"),
    (e: Error) => e instanceof UsageError && /"\/dev\/zero" is not a regular file/.test(e.message),
  );
  assert.throws(
    () => readSavedFacts(exec, "/nonexistent.json"),
    /cannot read facts file: .* not found/,
  );
  await using dir = await tempDir();
  Deno.writeTextFileSync(`${dir.path}/f.json`, '{"hostname": "web1", "os.id": "debian"}');
  assert.deepEqual(readSavedFacts(exec, `${dir.path}/f.json`), {
    hostname: "web1",
    "os.id": "debian",
  });
});
