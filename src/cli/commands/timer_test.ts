import * as assert from "node:assert/strict";
import { DEFAULT_STATE_DIR } from "../../state/paths.ts";
import { DEFAULT_CONFIG_PATH } from "../../sync/node_config.ts";
import { unitArgs } from "./timer.ts";

Deno.test("the units get --config and --state-dir absolute: systemd runs them from /", () => {
  const cwd = Deno.cwd().replace(/\/$/, "");
  assert.deepEqual(unitArgs("conf.yaml", "./st/"), [
    "--config",
    `${cwd}/conf.yaml`,
    "--state-dir",
    `${cwd}/st`,
  ]);
  assert.deepEqual(unitArgs("/srv/cm.yaml", "/srv/cm"), [
    "--config",
    "/srv/cm.yaml",
    "--state-dir",
    "/srv/cm",
  ]);
});

Deno.test("the units name no --config or --state-dir for the defaults", () => {
  assert.deepEqual(unitArgs(undefined, DEFAULT_STATE_DIR), []);
  assert.deepEqual(unitArgs(DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR), []);
});
