import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import type { RunReport } from "../engine/report.ts";
import {
  compactReport,
  listRuns,
  pendingAfter,
  pruneRuns,
  readRun,
  readState,
  recordRun,
  RETENTION,
  runsMatching,
} from "./store.ts";
import { statePaths } from "./paths.ts";
import { StateError } from "../errors.ts";
import { unhealthyReport } from "../engine/report_fixtures.ts";

const NOW = "2026-11-26T05:00:00.000Z";

/** `n` run ids a minute apart, oldest first. */
function runIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `20261126T05${String(i).padStart(2, "0")}00Z-1`);
}

function report(id: string, status: "changed" | "unchanged", sha256?: string): RunReport {
  return {
    id,
    mode: "apply",
    startedAt: NOW,
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
  assert.equal(readRun(exec, paths, "20261126T050000Z-1")?.id, "20261126T050000Z-1");
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

Deno.test("valid JSON of another shape is a state error, and a run records beside it", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  const wrong: [string, string][] = [
    ["null", "expected an object"],
    ["[]", "expected an object"],
    ['{"version":1,"resources":5}', "resources: expected an object"],
    ['{"resources":{"file[/x]":null}}', 'resources["file[/x]"]: expected an object'],
    ['{"resources":{},"pending":{"service[a]":{"action":1}}}', 'pending["service[a]"].action'],
    [
      '{"resources":{},"lastRun":{"id":"x","at":"y","result":"ok","mode":"apply","totals":7}}',
      "lastRun.totals",
    ],
  ];
  for (const [text, expected] of wrong) {
    Deno.writeTextFileSync(paths.state, text);
    assert.throws(
      () => readState(exec, paths),
      (e: Error) => e instanceof StateError && e.message.includes(expected),
      text,
    );
  }
  const warning = recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  assert.match(
    warning ?? "",
    /is not a file cm wrote: lastRun.totals: expected an object; kept it/,
  );
  assert.equal(readState(exec, paths).lastRun?.id, "20261126T050000Z-1");
});

Deno.test("a run report of another shape is a state error naming the field", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  const file = `${paths.runs}/20261126T050000Z-1.json`;
  const good = JSON.parse(Deno.readTextFileSync(file));
  for (
    const [edit, expected] of [
      [{}, "id: expected a string"],
      [{ ...good, totals: null }, "totals: expected an object"],
      [{ ...good, resources: [null] }, "resources[0]: expected an object"],
      [{ ...good, handlers: [{ id: "x" }] }, "handlers[0].status"],
    ] as const
  ) {
    Deno.writeTextFileSync(file, JSON.stringify(edit));
    assert.throws(
      () => readRun(exec, paths, "20261126T050000Z-1"),
      (e: Error) => e instanceof StateError && e.message.includes(expected),
      expected,
    );
  }
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
    const record = pruneRuns(exec, paths, undefined, "20261126T050300Z-1", new Date(NOW));
    assert.deepEqual(listRuns(paths), ["20261126T050200Z-1"], "with the new run's, two are kept");
    assert.deepEqual(record, {
      recent: ["20261126T050200Z-1", "20261126T050300Z-1"],
      prunedOn: "2026-11-26",
    });
  } finally {
    RETENTION.reports = saved;
  }
});

Deno.test("runs/ is listed by the first run of a day only; killed runs' temporary reports go then", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  const expired = "20261001T000000Z-1";
  const leftover = ".20261126T050100Z-1.json.cm-0123abcd";
  Deno.writeTextFileSync(`${paths.runs}/${expired}.json`, "{}");
  Deno.writeTextFileSync(`${paths.runs}/${leftover}`, "{");
  recordRun(exec, paths, report("20261126T050200Z-1", "changed"));
  assert.ok(listRuns(paths).includes(expired), "the same day, runs/ is not listed again");
  const tomorrow = report("20261127T050000Z-1", "changed");
  tomorrow.startedAt = "2026-11-27T05:00:00.000Z";
  recordRun(exec, paths, tomorrow);
  assert.deepEqual(listRuns(paths), [
    "20261126T050000Z-1",
    "20261126T050200Z-1",
    "20261127T050000Z-1",
  ]);
  assert.deepEqual(
    [...Deno.readDirSync(paths.runs)].filter((e) => e.name.startsWith(".")),
    [],
    "the leftover temporary report is gone",
  );
  assert.deepEqual(readState(exec, paths).runs, {
    recent: ["20261126T050000Z-1", "20261126T050200Z-1", "20261127T050000Z-1"],
    prunedOn: "2026-11-27",
  });
});

Deno.test("a report is read by its whole id only; runsMatching resolves a prefix", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  for (const id of ["20261126T050000Z-1", "20261126T050000Z-12", "20261126T060000Z-3"]) {
    recordRun(exec, paths, report(id, "changed"));
  }
  assert.equal(readRun(exec, paths, "20261126T0600"), null);
  assert.equal(readRun(exec, paths, "../state"), null);
  assert.equal(readRun(exec, paths, "20261126T060000Z-3")?.id, "20261126T060000Z-3");
  assert.deepEqual(runsMatching(paths, "20261126T0600"), ["20261126T060000Z-3"]);
  assert.deepEqual(runsMatching(paths, "20261126T050000Z-1"), ["20261126T050000Z-1"]);
  assert.deepEqual(runsMatching(paths, "20261126T05"), [
    "20261126T050000Z-1",
    "20261126T050000Z-12",
  ]);
});

Deno.test("a failed refresh stays pending until a handler or a (re)start of the service settles it", () => {
  const base = report("20261126T050000Z-1", "unchanged");
  const service = { ...base.resources[0], id: "service[nginx]", kind: "service" };
  const failedHandler = {
    id: "service[nginx]",
    action: "reload" as const,
    triggeredBy: ["file[/x]"],
    status: "failed" as const,
    error: "reload failed: exited 1",
    durationMs: 3,
  };
  const first = pendingAfter({}, { ...base, resources: [service], handlers: [failedHandler] });
  assert.deepEqual(first, {
    "service[nginx]": {
      action: "reload",
      triggeredBy: ["file[/x]"],
      since: base.startedAt,
      error: "reload failed: exited 1",
    },
  });
  // Retried later and failed again: still due since the first run.
  const later = { ...base, startedAt: "2026-11-27T05:00:00.000Z", resources: [service] };
  const retried = { ...failedHandler, pendingSince: base.startedAt };
  assert.deepEqual(pendingAfter(first, { ...later, handlers: [retried] }), first);
  // Not retried (the run stopped early): kept.
  assert.deepEqual(pendingAfter(first, { ...later, handlers: [] }), first);
  // Succeeded, or the service was started by the run, or dropped from the cookbooks: settled.
  const ok = { ...retried, status: "changed" as const };
  assert.deepEqual(pendingAfter(first, { ...later, handlers: [ok] }), {});
  const started = {
    ...service,
    status: "changed" as const,
    changes: [{ field: "state", before: "inactive", after: "started" }],
  };
  assert.deepEqual(pendingAfter(first, { ...later, resources: [started], handlers: [] }), {});
  assert.deepEqual(pendingAfter(first, { ...later, resources: [], handlers: [] }), {});
});

Deno.test("resources the cookbooks dropped are reported once as unmanaged and forgotten", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const first = report("20261126T050000Z-1", "changed");
  first.resources.push({ ...first.resources[0], id: "file[/y]" });
  recordRun(exec, paths, first);
  assert.equal(first.unmanaged, undefined);

  const second = report("20261126T050100Z-1", "unchanged");
  recordRun(exec, paths, second);
  assert.deepEqual(second.unmanaged, ["file[/y]"]);
  assert.deepEqual(readRun(exec, paths, second.id)?.unmanaged, ["file[/y]"]);
  assert.deepEqual(Object.keys(readState(exec, paths).resources), ["file[/x]"]);

  const third = report("20261126T050200Z-1", "unchanged");
  recordRun(exec, paths, third);
  assert.equal(third.unmanaged, undefined);
});

Deno.test("a dropped resource cm never made (it only failed) is forgotten without being called unmanaged", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const first = report("20261126T050000Z-1", "changed");
  first.resources.push({ ...first.resources[0], id: "file[/y]", status: "failed", error: "no" });
  recordRun(exec, paths, first);
  const second = report("20261126T050100Z-1", "unchanged");
  recordRun(exec, paths, second);
  assert.equal(second.unmanaged, undefined);
  assert.deepEqual(Object.keys(readState(exec, paths).resources), ["file[/x]"]);
});

Deno.test("an ad hoc run reports as unmanaged only what its own root cookbooks last applied", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const adHoc = (roots: Record<string, string>) => ({ wholeNode: false, roots });
  const a = report("20261126T050000Z-1", "changed");
  a.resources.push({ ...a.resources[0], id: "file[/y]" });
  recordRun(exec, paths, a, {}, adHoc({ "file[/x]": "/c.yaml", "file[/y]": "/c.yaml" }));
  const b = { ...report("20261126T050100Z-1", "changed"), cookbooks: ["/b.yaml"] };
  b.resources[0] = { ...b.resources[0], id: "file[/z]" };
  recordRun(exec, paths, b, {}, adHoc({ "file[/z]": "/b.yaml" }));
  assert.equal(b.unmanaged, undefined, "b.yaml does not speak for c.yaml's resources");
  const again = report("20261126T050200Z-1", "unchanged");
  recordRun(exec, paths, again, {}, adHoc({ "file[/x]": "/c.yaml" }));
  assert.deepEqual(again.unmanaged, ["file[/y]"]);
  assert.deepEqual(readState(exec, paths).resources["file[/z]"].roots, ["/b.yaml"]);
  const sync = report("20261126T050300Z-1", "unchanged");
  recordRun(exec, paths, sync, {}, { wholeNode: true, roots: {} });
  assert.deepEqual(sync.unmanaged, ["file[/z]"], "a sync speaks for the whole node");
});

Deno.test("retention: the report leaving the newest RETENTION.full keeps unchanged resources by count", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const ids = runIds(RETENTION.full + 1);
  for (const id of ids) {
    const r = report(id, "unchanged");
    r.startedAt = "2026-11-26T06:00:00.000Z";
    recordRun(exec, paths, r);
  }
  const oldest = readRun(exec, paths, ids[0])!;
  assert.deepEqual(oldest.compacted, { unchanged: 1 });
  assert.deepEqual(oldest.resources, []);
  assert.equal(readRun(exec, paths, ids[1])!.compacted, undefined);
});

Deno.test("compactReport keeps changed, failed and skipped resources in full, unchanged by count", () => {
  const r = report("20261126T050000Z-1", "changed", "a".repeat(64));
  const quiet = report("20261126T050000Z-1", "unchanged").resources[0];
  r.resources.push({ ...quiet, id: "file[/y]" }, { ...quiet, id: "file[/z]", status: "skipped" });
  const compact = compactReport(r);
  assert.deepEqual(compact.resources.map((x) => x.id), ["file[/x]", "file[/z]"]);
  assert.deepEqual(compact.resources[0], r.resources[0]);
  assert.deepEqual(compact.compacted, { unchanged: 1 });
  assert.equal(compactReport(compact), compact, "compacting twice changes nothing");
});

Deno.test("a report that cannot be compacted (damaged, a directory) stays as it is; the run is recorded", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const ids = runIds(RETENTION.full + 2);
  for (const id of ids.slice(0, RETENTION.full)) recordRun(exec, paths, report(id, "unchanged"));
  Deno.writeTextFileSync(`${paths.runs}/${ids[0]}.json`, "{");
  Deno.removeSync(`${paths.runs}/${ids[1]}.json`);
  Deno.mkdirSync(`${paths.runs}/${ids[1]}.json`);
  for (const id of ids.slice(RETENTION.full)) recordRun(exec, paths, report(id, "unchanged"));
  assert.equal(readState(exec, paths).lastRun?.id, ids.at(-1));
  assert.equal(readRun(exec, paths, ids.at(-1)!)?.id, ids.at(-1));
  assert.equal(Deno.readTextFileSync(`${paths.runs}/${ids[0]}.json`), "{");
});

Deno.test("a runs record of another shape is listed afresh; the state file is kept", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  for (const runs of [[], { recent: "x", prunedOn: 5 }, { recent: [1], prunedOn: "2026-11-26" }]) {
    const state = JSON.parse(Deno.readTextFileSync(paths.state));
    Deno.writeTextFileSync(paths.state, JSON.stringify({ ...state, runs }));
    assert.equal(recordRun(exec, paths, report("20261126T050100Z-1", "unchanged")), undefined);
    assert.deepEqual(readState(exec, paths).runs, {
      recent: ["20261126T050000Z-1", "20261126T050100Z-1"],
      prunedOn: "2026-11-26",
    });
  }
  assert.deepEqual([...Deno.readDirSync(dir.path)].filter((e) => e.name.includes("corrupt")), []);
});

Deno.test("compacting a report does not list runs/: its leftover temporary report waits for the daily prune", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const ids = runIds(RETENTION.full + 1);
  for (const id of ids.slice(0, -1)) recordRun(exec, paths, report(id, "unchanged"));
  const leftover = `${paths.runs}/.${ids[0]}.json.cm-0123abcd`;
  Deno.writeTextFileSync(leftover, "{");
  recordRun(new RealExecutor(), paths, report(ids.at(-1)!, "unchanged"));
  assert.deepEqual(readRun(exec, paths, ids[0])!.compacted, { unchanged: 1 });
  assert.ok(Deno.statSync(leftover).isFile, "runs/ was not listed the same day");
  const tomorrow = report("20261127T050000Z-1", "unchanged");
  tomorrow.startedAt = "2026-11-27T05:00:00.000Z";
  recordRun(new RealExecutor(), paths, tomorrow);
  assert.throws(() => Deno.statSync(leftover), Deno.errors.NotFound);
});

Deno.test("a resource two applied cookbooks declare stays managed until neither does", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  const run = (id: string, cookbook: string, ids: string[]) => {
    const r = { ...report(id, "unchanged"), cookbooks: [cookbook] };
    r.resources = ids.map((x) => ({ ...r.resources[0], id: x }));
    const roots = Object.fromEntries(ids.map((x) => [x, cookbook]));
    recordRun(exec, paths, r, {}, { wholeNode: false, roots });
    return r;
  };
  run("20261126T050000Z-1", "/a.yaml", ["file[/a]", "file[/shared]"]);
  run("20261126T050100Z-1", "/b.yaml", ["file[/b]", "file[/shared]"]);
  assert.deepEqual(readState(exec, paths).resources["file[/shared]"].roots, ["/a.yaml", "/b.yaml"]);
  const b = run("20261126T050200Z-1", "/b.yaml", ["file[/b]"]);
  assert.equal(b.unmanaged, undefined, "a.yaml still declares file[/shared]");
  assert.deepEqual(readState(exec, paths).resources["file[/shared]"].roots, ["/a.yaml"]);
  const a = run("20261126T050300Z-1", "/a.yaml", ["file[/a]"]);
  assert.deepEqual(a.unmanaged, ["file[/shared]"]);
});

Deno.test("a state written with one root per resource is read as that root", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  Deno.mkdirSync(paths.dir, { recursive: true });
  Deno.writeTextFileSync(
    paths.state,
    JSON.stringify({
      version: 1,
      resources: { "file[/x]": { status: "unchanged", root: "/a.yaml" } },
    }),
  );
  const b = { ...report("20261126T050000Z-1", "unchanged"), cookbooks: ["/b.yaml"] };
  b.resources[0].id = "file[/y]";
  recordRun(exec, paths, b, {}, { wholeNode: false, roots: { "file[/y]": "/b.yaml" } });
  assert.equal(b.unmanaged, undefined);
  assert.deepEqual(readState(exec, paths).resources["file[/x]"], {
    status: "unchanged",
    roots: ["/a.yaml"],
  });
});

Deno.test("a FIFO where the state file belongs is replaced by the new state, not read for ever", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(dir.path);
  await new Deno.Command("mkfifo", { args: ["--", paths.state] }).output();
  const warning = recordRun(exec, paths, report("20261126T050000Z-1", "changed"));
  assert.match(warning ?? "", /not a regular file .*; a new state file replaces it$/);
  assert.deepEqual(Object.keys(readState(exec, paths).resources).length, 1);
});

Deno.test("a run that checked no health keeps the health last checked (the metrics keep it)", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${dir.path}/state`);
  recordRun(exec, paths, { ...unhealthyReport(false), id: "20261126T050000Z-1" });
  const failed = { ok: false, checks: 0, failed: 0 };
  assert.deepEqual(readState(exec, paths).lastRun?.health, failed);
  recordRun(exec, paths, report("20261126T050100Z-1", "unchanged"));
  assert.deepEqual(readState(exec, paths).lastRun?.health, failed);
  recordRun(exec, paths, { ...unhealthyReport(true), id: "20261126T050200Z-1" });
  assert.deepEqual(readState(exec, paths).lastRun?.health, { ok: true, checks: 0, failed: 0 });
});
