import assert from "node:assert/strict";
import { newRunId } from "./report.ts";
import { compareRunIds, isRunIdName } from "../state/paths.ts";

Deno.test("run ids sort by time; a second run of one process in the same second gets its own", () => {
  const at = new Date("2026-12-01T03:22:22.750Z");
  const ids = [newRunId(at), newRunId(at), newRunId(new Date(at.getTime() + 100)), newRunId()];
  assert.deepEqual(ids.slice(0, 3), [
    `20261201T032222Z-${Deno.pid}`,
    `20261201T032222Z-${Deno.pid}.2`,
    `20261201T032222Z-${Deno.pid}.3`,
  ]);
  assert.match(ids[3], new RegExp(`^\\d{8}T\\d{6}Z-${Deno.pid}$`), "a new second starts afresh");
  assert.deepEqual([...ids].sort(compareRunIds), ids);
  const many = Array.from({ length: 11 }, () => newRunId(new Date(at.getTime() + 60_000)));
  assert.deepEqual([...many].reverse().sort(compareRunIds), many, "X.10 after X.9");
  assert.ok(ids.every(isRunIdName));
});

Deno.test("after a clock set back, a run id still sorts after the last run's", () => {
  const last = "20261201T120000Z-99999";
  const setBack = new Date("2026-12-01T11:00:00.000Z");
  const id = newRunId(setBack, last);
  assert.equal(id, `20261201T120001Z-${Deno.pid}`);
  assert.ok(compareRunIds(last, id) < 0);
  // A clock that is ahead of the last run is taken as it is.
  assert.equal(newRunId(new Date("2026-12-02T00:00:00Z"), last), `20261202T000000Z-${Deno.pid}`);
  // A last id of another shape is no floor.
  assert.equal(newRunId(setBack, "garbage"), `20261201T110000Z-${Deno.pid}`);
});
