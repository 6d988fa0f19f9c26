import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { IN_FLIGHT, sha256Hex, sha256Hexes } from "./digest.ts";

const node = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

Deno.test("sha256Hex equals node:crypto's hex digest for strings and bytes", async () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
  for (const data of ["", "a", "héllo wörld ✓\n", "x".repeat(100_000), bytes, bytes.subarray(3)]) {
    assert.equal(await sha256Hex(data), node(data));
  }
});

Deno.test("sha256Hex gives the known digest of the empty input", async () => {
  assert.equal(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("sha256Hexes hashes few and many inputs (more than one batch) alike, in order", async () => {
  for (const count of [0, 3, 2500]) {
    const items = Array.from(
      { length: count },
      (_, i) => i % 2 ? `text ${i}` : new Uint8Array([i % 256, 7]),
    );
    assert.deepEqual(await sha256Hexes(items), items.map(node));
  }
});

Deno.test("sha256Hexes keeps at most IN_FLIGHT WebCrypto digests running at once", async () => {
  const subtle = crypto.subtle;
  const digest = subtle.digest.bind(subtle);
  let [running, most] = [0, 0];
  subtle.digest = async (...args: Parameters<SubtleCrypto["digest"]>) => {
    most = Math.max(most, ++running);
    try {
      return await digest(...args);
    } finally {
      running--;
    }
  };
  try {
    const items = Array.from({ length: 1000 }, (_, i) => `text ${i}`);
    assert.deepEqual(await sha256Hexes(items), items.map(node));
  } finally {
    Reflect.deleteProperty(subtle, "digest"); // SubtleCrypto.prototype's again
  }
  assert.equal(most, IN_FLIGHT);
});
