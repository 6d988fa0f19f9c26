import assert from "node:assert/strict";
import { contentSummary, formatSize } from "./_content_summary.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("content summary counts bytes and lines, an unterminated last line included", () => {
  assert.equal(contentSummary(bytes("")), "0 B, 0 lines");
  assert.equal(contentSummary(bytes("port = 80\n")), "10 B, 1 line");
  assert.equal(contentSummary(bytes("a\nb\nc")), "5 B, 3 lines");
  assert.equal(contentSummary(new Uint8Array([1, 0, 2])), "3 B, binary");
});

Deno.test("sizes switch to KiB and MiB at 1024", () => {
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(3 * 1024 * 1024), "3.0 MiB");
});
