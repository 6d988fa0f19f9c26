/**
 * Run history retention, measured: the real report and state of a
 * 10,000-resource no-op run, written by the store, then 30 days at a 5-minute
 * interval (8,640 runs) extrapolated from their sizes.
 */
import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import type { RunReport } from "../src/engine/report.ts";
import { statePaths } from "../src/state/paths.ts";
import { compactReport, recordRun, RETENTION } from "../src/state/store.ts";
import { tempDir } from "./harness.ts";

const RESOURCES = 10_000;
const RUNS = 30 * 24 * 12;

function noopReport(id: string): RunReport {
  const resources = Array.from({ length: RESOURCES }, (_, i) => ({
    id: `file[/srv/app/conf.d/file-${String(i).padStart(5, "0")}.conf]`,
    kind: "file",
    status: "unchanged" as const,
    changes: [],
    durationMs: 0.1,
    at: `/var/lib/config-manager/repo/nodes/web1.yaml:${4 + i * 4}:7`,
    sha256: i.toString(16).padStart(64, "0"),
  }));
  return {
    id,
    mode: "apply",
    startedAt: new Date().toISOString(),
    durationMs: 2113,
    cookbooks: ["/var/lib/config-manager/repo/nodes/web1.yaml"],
    commit: "0123456789abcdef0123456789abcdef01234567",
    resources,
    handlers: [],
    totals: { changed: 0, unchanged: RESOURCES, failed: 0, skipped: 0 },
    result: "ok",
  };
}

Deno.test("30 days of 5-minute no-op runs of 10,000 resources fit well within the 500 MB budget", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  const report = noopReport("20261130T120000Z-1");
  const desired = Object.fromEntries(report.resources.map((r) => [r.id, "d".repeat(64)]));
  recordRun(new RealExecutor(), paths, report, desired);
  const full = (await Deno.stat(`${paths.runs}/${report.id}.json`)).size;
  const compact = new TextEncoder().encode(JSON.stringify(compactReport(report)) + "\n").length;
  const state = (await Deno.stat(paths.state)).size;
  const history = full * RETENTION.full + compact * (RUNS - RETENTION.full);
  const mb = (n: number) => (n / 1e6).toFixed(2);
  console.log(
    `run history: full no-op report ${mb(full)} MB, compacted ${compact} bytes, state file ${
      mb(state)
    } MB; ${RUNS} runs (30 days every 5 min) = ${RETENTION.full} full + ${
      RUNS - RETENTION.full
    } compacted = ${mb(history)} MB (without compaction: ${mb(full * RUNS)} MB)`,
  );
  assert.ok(compact < 1000, `a compacted no-op report is small (${compact} bytes)`);
  assert.ok(history + state < 50e6, `history ${mb(history)} MB stays far under 500 MB`);
});
