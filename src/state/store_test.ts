import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import type { RunReport } from "../engine/report.ts";
import { listRuns, pruneRuns, readRun, readState, recordRun, RETENTION } from "./store.ts";
import { statePaths } from "./paths.ts";

function report(id: string, status: "changed" | "unchanged", sha256?: string): RunReport {
  return {
    id,
    mode: "apply",
    startedAt: "2026-11-26T05:00:00.000Z",
    durationMs: 5,
    cookbooks: ["/c.yaml"],
    resources: [{
      id: "file[/x]",
      kind: "file",
      status,
      changes: [],
      durationMs: 1,
      at: "/c.yaml:3:5",
      sha256,
    }],
    handlers: [],
    totals: {
      changed: status === "changed" ? 1 : 0,
      unchanged: status === "unchanged" ? 1 : 0,
      failed: 0,
      skipped: 0,
    },
    result: "ok",
  };
}

Deno.test("state round trip: a run is recorded, read back, and its report listed", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  assert.deepEqual(readState(exec, paths), { version: 1, resources: {} });
  recordRun(exec, paths, report("20261126T050000Z-1", "changed", "a".repeat(64)));
  recordRun(exec, paths, report("20261126T050100Z-1", "unchanged"));
  const state = readState(exec, paths);
  assert.equal(state.lastRun?.id, "20261126T050100Z-1");
  assert.deepEqual(state.resources["file[/x]"], {
    status: "unchanged",
    changedAt: "2026-11-26T05:00:00.000Z",
    sha256: "a".repeat(64),
  });
  assert.deepEqual(listRuns(paths), ["20261126T050000Z-1", "20261126T050100Z-1"]);
  assert.equal(readRun(exec, paths, "20261126T0500")?.id, "20261126T050000Z-1");
  assert.equal(readRun(exec, paths, "2026"), null, "an ambiguous prefix finds nothing");
  assert.equal(Deno.statSync(paths.state).mode! & 0o777, 0o600);
  assert.equal(Deno.statSync(paths.dir).mode! & 0o777, 0o700);
});

Deno.test("a corrupt state file is reported with its path", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.writeTextFileSync(paths.state, "{not json");
  assert.throws(
    () => readState(new RealExecutor(), paths),
    new RegExp(`state file ${paths.state} is not valid JSON`),
  );
});

Deno.test("run reports older than the retention, or past the most kept, are pruned", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs);
  const old = "20261001T000000Z-1";
  Deno.writeTextFileSync(`${paths.runs}/${old}.json`, "{}");
  recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  assert.deepEqual(listRuns(paths), ["20261126T050000Z-1"], "a report from 56 days before is gone");
  const saved = RETENTION.reports;
  RETENTION.reports = 2;
  try {
    for (const id of ["20261126T050100Z-1", "20261126T050200Z-1"]) {
      Deno.writeTextFileSync(`${paths.runs}/${id}.json`, "{}");
    }
    pruneRuns(exec, paths, new Date("2026-11-26T06:00:00Z"));
    assert.deepEqual(listRuns(paths), ["20261126T050100Z-1", "20261126T050200Z-1"]);
  } finally {
    RETENTION.reports = saved;
  }
});
