import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { StateError } from "../errors.ts";
import { readKeyed, writeKeyed } from "./keyed_cache.ts";

const exec = new RealExecutor();
const isNumbers = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((n) => typeof n === "number");

Deno.test("a keyed value is read back under its key only, from a 0600 file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/cache.json`;
  assert.equal(readKeyed(exec, path, "k1", isNumbers), undefined, "absent");
  writeKeyed(exec, path, "k1", [1, 2]);
  assert.deepEqual(readKeyed(exec, path, "k1", isNumbers), [1, 2]);
  assert.equal(readKeyed(exec, path, "k2", isNumbers), undefined, "another key");
  assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
  writeKeyed(exec, path, "k2", [3]);
  assert.deepEqual(readKeyed(exec, path, "k2", isNumbers), [3]);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["cache.json"]);
});

Deno.test("a damaged or misshapen keyed cache reads as a miss; a directory in its place is a state error", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/cache.json`;
  for (
    const text of [
      "",
      '{"key": "k1", "val',
      "null",
      "[1]",
      '{"key": "k1"}',
      '{"key": "k1", "value": ["1"]}',
    ]
  ) {
    Deno.writeTextFileSync(path, text);
    assert.equal(readKeyed(exec, path, "k1", isNumbers), undefined, text);
  }
  Deno.removeSync(path);
  Deno.mkdirSync(path);
  assert.throws(() => readKeyed(exec, path, "k1", isNumbers), StateError);
});
