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

Deno.test("a saved fact of the wrong type is refused, naming it (counts are whole numbers, the rest text)", async () => {
  const exec = new RealExecutor();
  await using dir = await tempDir();
  const file = `${dir.path}/f.json`;
  const refused = (json: string, pattern: RegExp) => {
    Deno.writeTextFileSync(file, json);
    assert.throws(
      () => readSavedFacts(exec, file),
      (e: Error) => e instanceof UsageError && pattern.test(e.message),
    );
  };
  refused('{"hostname": {"a": 1}}', /f\.json: fact "hostname": expected text, got \{"a":1\}$/);
  refused('{"cpu_count": "2"}', /fact "cpu_count": expected a whole number, got "2"$/);
  refused('{"memory_mb": -1}', /fact "memory_mb": expected a whole number, got -1$/);
  Deno.writeTextFileSync(file, '{"cpu_count": 2, "memory_mb": 2048, "ipv4": "10.0.0.5"}');
  assert.deepEqual(readSavedFacts(exec, file), { cpu_count: 2, memory_mb: 2048, ipv4: "10.0.0.5" });
});
