import assert from "node:assert/strict";
import { jsonChunks, utf8Chunks } from "./json_chunks.ts";

const decoder = new TextDecoder();
const text = (value: unknown, indent?: number) =>
  [...jsonChunks(value, indent)].map((c) => decoder.decode(c)).join("");

const samples: unknown[] = [
  null,
  "plain",
  42,
  [],
  {},
  { empty: {}, none: [], skipped: undefined, list: [1, undefined, "x"] },
  [{ a: [1, 2] }, [], [[{}]], "é ✓ \n\u2028"],
  {
    version: 1,
    resources: { "file[/etc/motd]": { status: "unchanged", sha256: "ab", nested: { deep: [1] } } },
    lastRun: { id: "r", totals: { changed: 0 } },
  },
];

Deno.test("jsonChunks writes exactly the bytes of JSON.stringify plus a line feed", () => {
  for (const value of samples) {
    for (const indent of [0, 1, 2]) {
      assert.equal(text(value, indent), JSON.stringify(value, null, indent) + "\n");
    }
  }
});

Deno.test("jsonChunks of a large report comes in chunks of about 64 KiB, none holding it all", () => {
  const report = {
    id: "20261130T000000Z-1",
    resources: Array.from({ length: 10_000 }, (_, i) => ({
      id: `file[/srv/f${i}.conf]`,
      status: "unchanged",
      changes: [],
      sha256: "0".repeat(64),
    })),
  };
  const chunks = [...jsonChunks(report)];
  const whole = JSON.stringify(report) + "\n";
  assert.equal(chunks.map((c) => decoder.decode(c)).join(""), whole);
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  assert.ok(Math.max(...chunks.map((c) => c.length)) < 70_000);
});

Deno.test("utf8Chunks cuts about every 64 KiB between two texts, never inside one", () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `{"resource":"file[/srv/f${i}]"} é\n`);
  const chunks = [...utf8Chunks(lines)].map((c) => decoder.decode(c));
  assert.equal(chunks.join(""), lines.join(""));
  assert.ok(chunks.length > 3, `${chunks.length} chunks`);
  assert.ok(chunks.every((c) => c.endsWith("\n") && c.length < 70_000));
  assert.deepEqual([...utf8Chunks([])], []);
});
