import assert from "node:assert/strict";
import { collectLargeHeap } from "./memory.ts";

Deno.test("collectLargeHeap collects only above its threshold", () => {
  const calls: string[] = [];
  const global = globalThis as { gc?: () => void };
  const before = global.gc;
  global.gc = () => calls.push("gc");
  try {
    const used = Deno.memoryUsage().heapUsed;
    collectLargeHeap(used + 64 * 1024 * 1024);
    assert.deepEqual(calls, []);
    collectLargeHeap(0);
    assert.deepEqual(calls, ["gc"]);
  } finally {
    global.gc = before;
  }
});
