import * as assert from "node:assert/strict";
import { compareRunIds, DEFAULT_STATE_DIR, idsMatching, runIdAfter, statePaths } from "./paths.ts";

function withStateDirEnv(value: string | undefined, body: () => void): void {
  const before = Deno.env.get("CM_STATE_DIR");
  if (value === undefined) Deno.env.delete("CM_STATE_DIR");
  else Deno.env.set("CM_STATE_DIR", value);
  try {
    body();
  } finally {
    if (before === undefined) Deno.env.delete("CM_STATE_DIR");
    else Deno.env.set("CM_STATE_DIR", before);
  }
}

Deno.test("the state directory: the flag, then CM_STATE_DIR, then the default", () => {
  withStateDirEnv("/srv/env-state/", () => {
    assert.equal(statePaths("/tmp/flag-state/").dir, "/tmp/flag-state");
    assert.equal(statePaths().runs, "/srv/env-state/runs");
  });
  withStateDirEnv(undefined, () => assert.equal(statePaths().dir, DEFAULT_STATE_DIR));
});

Deno.test("an empty CM_STATE_DIR is unset, not the root directory", () => {
  withStateDirEnv("", () => {
    assert.equal(statePaths().dir, DEFAULT_STATE_DIR);
    assert.equal(statePaths().lock, `${DEFAULT_STATE_DIR}/lock`);
  });
});

Deno.test("idsMatching: a whole id names itself alone, a prefix every id it starts", () => {
  const ids = ["20261201T035000Z-7", "20261201T035000Z-7.2", "20261201T035001Z-7"];
  assert.deepEqual(idsMatching(ids, "20261201T035000Z-7"), ["20261201T035000Z-7"]);
  assert.deepEqual(idsMatching(ids, "20261201T035000"), ids.slice(0, 2));
  assert.deepEqual(idsMatching(ids, "2099"), []);
});

Deno.test("runIdAfter: a run of another process in the same second, or a clock set back, still sorts last", () => {
  const last = "20261201T035000Z-31286";
  assert.equal(runIdAfter("20261201T035001Z-12000", last), "20261201T035001Z-12000");
  assert.equal(
    runIdAfter("20261201T035000Z-12000", last),
    `${last}.2`,
    "pid 12000 sorts before 31286",
  );
  assert.equal(runIdAfter(last, last), `${last}.2`);
  assert.equal(runIdAfter("20261201T034000Z-12000", `${last}.9`), `${last}.10`, "clock set back");
  assert.equal(runIdAfter("20261201T035000Z-12000", undefined), "20261201T035000Z-12000");
  assert.equal(runIdAfter("20261201T035000Z-12000", "../x"), "20261201T035000Z-12000");
  const ids = [last, runIdAfter("20261201T035000Z-12000", last)];
  assert.deepEqual([...ids].reverse().sort(compareRunIds), ids);
});
