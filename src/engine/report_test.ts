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
