import assert from "node:assert/strict";
import { RealExecutor } from "../../exec/real.ts";
import { UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { tempDir } from "../../_testing.ts";
import type { Printer } from "../output.ts";
import { collectingPrinter } from "../_testing.ts";
import { showRun } from "./show_run.ts";

Deno.test("show-run names every run an ambiguous prefix matches instead of saying there is none", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  for (const id of ["20261126T050000Z-1", "20261126T050100Z-2"]) {
    Deno.writeTextFileSync(`${paths.runs}/${id}.json`, "{}");
  }
  const printer: Printer = { out() {}, err() {}, color: false, verbosity: "normal", diff: false };
  assert.throws(() => showRun(new RealExecutor(), printer, { stateDir: dir.path, id: "2026" }), {
    name: UsageError.name,
    message:
      'ambiguous run "2026": 2 runs match (20261126T050000Z-1, 20261126T050100Z-2); give more of the id',
  });
});

Deno.test("show-run shows the run's failed health and the rollback that undid it", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  const check = { id: "http[http://127.0.0.1/]", attempts: 1, durationMs: 5 };
  const report = {
    id: "20261130T224649Z-7136",
    mode: "apply",
    startedAt: "2026-11-30T22:46:49.843Z",
    durationMs: 82,
    cookbooks: ["/root/web.yaml"],
    resources: [],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "failed",
    health: {
      ok: false,
      failures: [],
      checks: [{ ...check, ok: false, detail: 'status 200, body does not contain "Hello"' }],
    },
    rollback: {
      ok: true,
      runId: "20261130T224649Z-7136",
      restored: [{ id: "file[/var/www/index.php]", ok: true }],
      refreshed: [],
      health: { ok: true, failures: [], checks: [{ ...check, ok: true, detail: "status 200" }] },
      durationMs: 1084,
    },
  };
  assert.deepEqual(shown(paths.runs, dir.path, report).slice(2, -1), [
    'unhealthy http[http://127.0.0.1/]: status 200, body does not contain "Hello"',
    "restored  file[/var/www/index.php]",
    "rolled back run 20261130T224649Z-7136: 1 restored in 1.08 s; healthy again",
  ]);
});

Deno.test("show-run says what triggered each handler, as the run printed it", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  const handler = { action: "restart", triggeredBy: ["file[/etc/x.conf]"], durationMs: 3 };
  const report = {
    id: "20261201T054314Z-1290",
    mode: "apply",
    startedAt: "2026-12-01T05:43:14.326Z",
    durationMs: 480,
    cookbooks: ["/root/web.yaml"],
    resources: [],
    handlers: [
      { ...handler, id: "service[nginx]", status: "changed" },
      { ...handler, id: "service[php]", status: "failed", error: "restart failed" },
    ],
    totals: { changed: 1, unchanged: 0, failed: 1, skipped: 0 },
    result: "failed",
  };
  assert.deepEqual(shown(paths.runs, dir.path, report).slice(2, -1), [
    "refreshed service[nginx]: restart after file[/etc/x.conf] changed",
    "failed    service[php]: restart after file[/etc/x.conf] changed: restart failed",
  ]);
});

/** What `cm show-run` prints of `report`, saved under `runs` of the state directory `stateDir`. */
function shown(runs: string, stateDir: string, report: { id: string }): string[] {
  Deno.writeTextFileSync(`${runs}/${report.id}.json`, JSON.stringify(report));
  const { printer, lines } = collectingPrinter();
  showRun(new RealExecutor(), printer, { stateDir, id: report.id });
  return lines;
}
