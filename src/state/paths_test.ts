import * as assert from "node:assert/strict";
import { DEFAULT_STATE_DIR, statePaths } from "./paths.ts";

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
