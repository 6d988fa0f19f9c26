import assert from "node:assert/strict";
import type { RunReport } from "../engine/report.ts";
import { conflictingClaims } from "./claims.ts";

const ID = "file[/etc/app.conf]";

function run(cookbook: string): RunReport {
  return {
    id: "20261202T071800Z-1",
    mode: "apply",
    startedAt: "2026-12-02T07:18:00.000Z",
    durationMs: 1,
    cookbooks: [cookbook],
    resources: [{
      id: ID,
      kind: "file",
      status: "changed",
      changes: [],
      durationMs: 1,
      at: `${cookbook}:3:7`,
    }],
    handlers: [],
    totals: { changed: 1, unchanged: 0, failed: 0, skipped: 0 },
    result: "ok",
  };
}

const byHand = { wholeNode: false, roots: { [ID]: "/b.yaml" } };

Deno.test("an apply that declares a resource differently from another applied cookbook names that cookbook", () => {
  const [warning, ...rest] = conflictingClaims(
    { [ID]: { status: "changed", desired: "one", roots: ["/a.yaml"] } },
    run("/b.yaml"),
    { [ID]: "two" },
    byHand,
  );
  assert.deepEqual(rest, []);
  assert.match(
    warning,
    /^file\[\/etc\/app\.conf\] is declared differently by \/a\.yaml, applied earlier: applying that again .*changes it back/,
  );
});

Deno.test("no warning for a resource declared the same way, an edit of the run's own cookbook, a sync, or a spec not recorded", () => {
  const shared = { [ID]: { status: "changed", desired: "one", roots: ["/a.yaml", "/b.yaml"] } };
  assert.deepEqual(conflictingClaims(shared, run("/b.yaml"), { [ID]: "one" }, byHand), []);
  const own = { [ID]: { status: "changed", desired: "one", roots: ["/b.yaml"] } };
  assert.deepEqual(conflictingClaims(own, run("/b.yaml"), { [ID]: "two" }, byHand), []);
  const other = { [ID]: { status: "changed", desired: "one", roots: ["/a.yaml"] } };
  assert.deepEqual(
    conflictingClaims(other, run("/b.yaml"), { [ID]: "two" }, { wholeNode: true, roots: {} }),
    [],
  );
  assert.deepEqual(conflictingClaims(other, run("/b.yaml"), {}, byHand), []);
});
