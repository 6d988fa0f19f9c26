import assert from "node:assert/strict";
import { statusLines } from "./status.ts";

Deno.test("status shows the commit, the last sync with its reason, and the last run", () => {
  const lines = statusLines({
    version: 1,
    resources: {},
    sync: {
      repo: "git://h/r.git",
      branch: "main",
      commit: "a".repeat(40),
      lastGood: "a".repeat(40),
      lastSyncAt: "2026-11-26T05:00:00.000Z",
      result: "kept",
      reason: "fetch from git://h/r.git failed",
      cookbooks: ["default.yaml"],
    },
    lastRun: {
      id: "20261126T050000Z-1",
      at: "2026-11-26T05:00:01.000Z",
      result: "ok",
      mode: "apply",
      commit: "a".repeat(40),
    },
  }, new Date("2026-11-26T05:01:00.000Z"));
  assert.deepEqual(lines, [
    "repository:   git://h/r.git (branch main)",
    `commit:       ${"a".repeat(40)}`,
    "last sync:    2026-11-26T05:00:00.000Z (60 s ago): kept",
    "reason:       fetch from git://h/r.git failed",
    "cookbooks:    default.yaml",
    `last run:     20261126T050000Z-1 apply ok at 2026-11-26T05:00:01.000Z (59 s ago) (commit ${
      "a".repeat(12)
    })`,
  ]);
  assert.deepEqual(statusLines({ version: 1, resources: {} }), [
    "sync:         never synced (cm sync --once)",
    "last run:     none",
  ]);
});
