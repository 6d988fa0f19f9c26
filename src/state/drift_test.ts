import assert from "node:assert/strict";
import type { RunReport } from "../engine/report.ts";
import type { ResourceState } from "./store.ts";
import type { Cookbook } from "../cookbook/cookbook.ts";
import { desiredDigests, markDrift } from "./drift.ts";

function report(status: "changed" | "unchanged", sha256?: string): RunReport {
  return {
    id: "20261126T050000Z-1",
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
      at: "/c.yaml:1:1",
      sha256,
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "ok",
  };
}

const converged: Record<string, ResourceState> = {
  "file[/x]": { status: "unchanged", desired: "d1", sha256: "s1" },
};

Deno.test("markDrift: a change under the same spec and content after a converged run is drift", () => {
  const r = report("changed", "s1");
  assert.deepEqual(markDrift(r, converged, { "file[/x]": "d1" }), ["file[/x]"]);
  assert.equal(r.resources[0].drift, true);
});

Deno.test("markDrift: a changed spec, changed source content, or a failed last run is not drift", () => {
  assert.deepEqual(markDrift(report("changed", "s1"), converged, { "file[/x]": "d2" }), []);
  assert.deepEqual(markDrift(report("changed", "s2"), converged, { "file[/x]": "d1" }), []);
  const failed = { "file[/x]": { ...converged["file[/x]"], status: "failed" } };
  assert.deepEqual(markDrift(report("changed", "s1"), failed, { "file[/x]": "d1" }), []);
  assert.deepEqual(markDrift(report("changed", "s1"), {}, { "file[/x]": "d1" }), []);
  assert.deepEqual(markDrift(report("unchanged", "s1"), converged, { "file[/x]": "d1" }), []);
});

Deno.test("markDrift: a change made on every run (a command without guard, a restart) is not drift", () => {
  const every = report("changed");
  every.resources[0].changes = [{ field: "run", before: null, after: "true", everyRun: true }];
  const ran = { "file[/x]": { status: "changed", desired: "d1" } };
  assert.deepEqual(markDrift(every, ran, { "file[/x]": "d1" }), []);
  // With another change beside it, that one still tells.
  every.resources[0].changes.push({ field: "enabled", before: false, after: true });
  assert.deepEqual(markDrift(every, ran, { "file[/x]": "d1" }), ["file[/x]"]);
});

Deno.test("desired digests leave out sensitive resources: the state holds no hash of a secret", async () => {
  const resource = (id: string, spec: Record<string, unknown>) => ({
    kind: "file",
    id,
    spec,
    at: { file: "/c.yaml", line: 1, col: 1 },
    path: "/c.yaml",
    section: 0,
  });
  const cookbook = {
    resources: [
      resource("file[/plain]", { path: "/plain", content: "x" }),
      resource("file[/secret]", { path: "/secret", content: "hunter2", sensitive: true }),
    ],
  } as unknown as Cookbook;
  assert.deepEqual(Object.keys(await desiredDigests(cookbook)), ["file[/plain]"]);
});

Deno.test("markDrift: a guarded command that ran last run too is no drift; one its guard had settled is", () => {
  const guarded = () => {
    const r = report("changed");
    r.resources[0].changes = [{ field: "run", before: null, after: "register", guarded: true }];
    return r;
  };
  // It ran last run and its guard still says run: the command does not make its guard pass.
  const ran = { "file[/x]": { status: "changed", desired: "d1" } };
  assert.deepEqual(markDrift(guarded(), ran, { "file[/x]": "d1" }), []);
  // Its guard was satisfied last run and no more: someone removed what it made.
  const settled = { "file[/x]": { status: "unchanged", desired: "d1" } };
  assert.deepEqual(markDrift(guarded(), settled, { "file[/x]": "d1" }), ["file[/x]"]);
});
