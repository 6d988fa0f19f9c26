import assert from "node:assert/strict";
import { splayDelayMs, syncLoop } from "./loop.ts";

Deno.test("the splay is uniform between 0 and the splay", () => {
  assert.equal(splayDelayMs(60, () => 0), 0);
  assert.equal(splayDelayMs(60, () => 0.5), 30_000);
  assert.ok(splayDelayMs(60, () => 0.999999) < 60_000);
  assert.equal(splayDelayMs(0, () => 0.7), 0);
});

Deno.test("the loop waits a splay before each round and the interval between rounds, and survives errors", async () => {
  const sleeps: number[] = [];
  const errors: unknown[] = [];
  let n = 0;
  const code = await syncLoop(
    () => {
      n++;
      if (n === 2) throw new Error("boom");
      return Promise.resolve(0);
    },
    300,
    60,
    {
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      random: () => 0.25,
      rounds: 3,
      onError: (e) => errors.push(e),
    },
  );
  assert.equal(n, 3);
  assert.equal(code, 0);
  assert.equal(errors.length, 1);
  assert.deepEqual(sleeps, [15_000, 300_000, 15_000, 300_000, 15_000]);
});
