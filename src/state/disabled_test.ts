import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { DisabledError } from "../errors.ts";
import { humanTime } from "../text.ts";
import { tempDir } from "../_testing.ts";
import { statePaths } from "./paths.ts";
import { readDisabled, refuseWhenDisabled, removeDisabled, writeDisabled } from "./disabled.ts";

Deno.test("a disable marker is written 0600, read back, refuses by name, and removed", async () => {
  await using tmp = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(`${tmp.path}/state`);
  assert.equal(readDisabled(exec, paths), null);
  refuseWhenDisabled(exec, paths, "cm sync");
  const mark = { reason: "db migration", by: "alice (as root)", at: "2026-12-01T10:00:00.000Z" };
  writeDisabled(exec, paths, mark);
  assert.equal((await Deno.stat(paths.disabled)).mode! & 0o777, 0o600);
  assert.deepEqual(readDisabled(exec, paths), mark);
  assert.throws(
    () => refuseWhenDisabled(exec, paths, "cm sync"),
    (e: Error) =>
      e instanceof DisabledError &&
      e.message ===
        `cm sync refused: cm is disabled since ${
          humanTime("2026-12-01T10:00:00.000Z")
        } by alice (as root): "db migration" (cm enable lets it run again)`,
  );
  removeDisabled(exec, paths);
  assert.equal(readDisabled(exec, paths), null);
});

Deno.test("a disable marker that cannot be read still disables, and says why", async () => {
  await using tmp = await tempDir();
  const exec = new RealExecutor();
  const paths = statePaths(tmp.path);
  for (
    const [make, why] of [
      [() => Deno.writeTextFileSync(paths.disabled, "{not json"), "not JSON"],
      [() => Deno.writeTextFileSync(paths.disabled, '{"reason": 3}'), "not a marker cm wrote"],
      [() => Deno.symlinkSync(`${tmp.path}/nowhere`, paths.disabled), "a link to nothing"],
      [() => Deno.mkdirSync(paths.disabled), "directory"],
    ] as const
  ) {
    make();
    const mark = readDisabled(exec, paths);
    assert.ok(mark?.reason.includes(why), `${why}: ${mark?.reason}`);
    assert.throws(() => refuseWhenDisabled(exec, paths, "cm apply"), DisabledError);
    removeDisabled(exec, paths);
  }
});
