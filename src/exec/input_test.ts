import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { tempDir } from "../_testing.ts";
import { RecordingExecutor } from "./recording.ts";
import { decodeUtf8, hashInput, hashInputVia, readInput, readInputVia, release } from "./input.ts";
import { sha256Hex } from "../digest.ts";

Deno.test("decodeUtf8 gives the text, or the line and column of the first invalid byte", () => {
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
    );
  assert.equal(decodeUtf8(bytes("héllo\n")), "héllo\n");
  assert.deepEqual(decodeUtf8(bytes("name: x\ndescription: caf", [0xe9], "\n")), {
    line: 2,
    col: 17,
  });
  assert.deepEqual(decodeUtf8(bytes("é", [0xc3, 0x41])), { line: 1, col: 2 });
  assert.deepEqual(decodeUtf8(bytes("ok", [0xff])), { line: 1, col: 3 });
});

Deno.test("readInput refuses directories, FIFOs, devices and files over the cap before reading", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/x.yaml`;
  Deno.writeTextFileSync(file, "name: x\n");
  assert.deepEqual(readInput(file, 100), new TextEncoder().encode("name: x\n"));
  assert.deepEqual(readInput(file, 4), {
    error: `"${file}" is larger than 4 bytes, the most cm reads`,
  });
  assert.deepEqual(readInput(dir.path, 100), {
    error: `"${dir.path}" is a directory, expected a file`,
  });
  assert.deepEqual(readInput(`${dir.path}/gone`, 100), { error: `"${dir.path}/gone" not found` });
  const fifo = `${dir.path}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  for (const path of [fifo, "/dev/zero"]) {
    assert.deepEqual(readInput(path, 100), {
      error: `"${path}" is not a regular file (a device, FIFO or socket), expected a file`,
    });
  }
});

Deno.test("hashInput hashes what readInput would read, whole or (over 16 MiB) in chunks", async () => {
  await using dir = await tempDir();
  for (const size of [0, 3 * (1 << 20) + 7, 16 * (1 << 20) + 1]) {
    const file = `${dir.path}/blob${size}`;
    const data = new Uint8Array(size).map((_, i) => i % 251);
    Deno.writeFileSync(file, data);
    assert.equal(await hashInput(file, size), createHash("sha256").update(data).digest("hex"));
    if (size) {
      const refused = await hashInput(file, size - 1) as { error: string };
      assert.match(refused.error, /is larger than/);
    }
  }
});

Deno.test("readInputVia checks through the probe what it is before reading it", () => {
  const probe = new RecordingExecutor().put("/c/web.yaml", "name: web\n").put("/c/dir");
  assert.deepEqual(
    readInputVia(probe, "/c/web.yaml", 100),
    new TextEncoder().encode("name: web\n"),
  );
  assert.deepEqual(readInputVia(probe, "/c/web.yaml", 5), {
    error: '"/c/web.yaml" is larger than 5 bytes, the most cm reads',
  });
  assert.deepEqual(readInputVia(probe, "/c/dir", 100), {
    error: '"/c/dir" is a directory, expected a file',
  });
  assert.deepEqual(readInputVia(probe, "/c/none.yaml", 100), { error: '"/c/none.yaml" not found' });
});

Deno.test("hashInputVia checks like readInputVia, then gives the size and the probe's sha256", async () => {
  const probe = new RecordingExecutor().put("/c/web.yaml", "name: web\n").put("/c/dir");
  assert.deepEqual(await hashInputVia(probe, "/c/web.yaml", 100), {
    size: 10,
    sha256: await sha256Hex(new TextEncoder().encode("name: web\n")),
  });
  assert.deepEqual(await hashInputVia(probe, "/c/web.yaml", 5), {
    error: '"/c/web.yaml" is larger than 5 bytes, the most cm reads',
  });
  assert.deepEqual(await hashInputVia(probe, "/c/dir", 100), {
    error: '"/c/dir" is a directory, expected a file',
  });
  assert.deepEqual(await hashInputVia(probe, "/c/none.yaml", 100), {
    error: '"/c/none.yaml" not found',
  });
});

Deno.test("release frees a buffer now: it is detached and empty after", () => {
  const data = new TextEncoder().encode("x".repeat(1 << 20));
  release(data);
  assert.equal(data.length, 0);
  assert.equal(data.buffer.byteLength, 0);
});
