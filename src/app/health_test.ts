import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { UsageError } from "../errors.ts";
import { statePaths } from "../state/paths.ts";
import { readRun, readState } from "../state/store.ts";
import { converge } from "./converge.ts";
import { healthNow, rollbackRun } from "./health.ts";

const exec = new RealExecutor();

Deno.test("cm rollback by hand puts the newest run back, records it and runs the health checks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-hand-" });
  try {
    const target = `${dir}/site.conf`;
    const book = `${dir}/book.yaml`;
    const cookbook = (content: string) =>
      `configure:\n  files:\n    - path: ${target}\n      content: "${content}\\n"\n` +
      `health:\n  - command: [grep, -q, good, ${target}]\n    retries: 0\n`;
    const paths = statePaths(`${dir}/state`);
    const apply = () =>
      converge([book], exec, { mode: "apply", stateDir: paths.dir, lock: "take" });
    await assert.rejects(rollbackRun(undefined, exec, { stateDir: paths.dir }), UsageError);
    Deno.writeTextFileSync(book, cookbook("good v1"));
    await apply();
    Deno.writeTextFileSync(book, cookbook("good v2"));
    const second = await apply();
    assert.equal(second.health?.ok, true);
    assert.equal((await healthNow([book], exec, paths.dir)).ok, true);

    const { record } = await rollbackRun(undefined, exec, { stateDir: paths.dir });
    assert.equal(record.runId, second.id);
    assert.equal(record.ok, true);
    assert.equal(Deno.readTextFileSync(target), "good v1\n");
    assert.deepEqual(record.health.checks.map((c) => c.ok), [true]);
    assert.equal(readRun(exec, paths, second.id)?.rollback?.ok, true);
    assert.deepEqual(readState(exec, paths).rollbacks, { attempted: 1, succeeded: 1 });
    // Undone once is enough: a second rollback of the same run is refused, nothing restored.
    Deno.writeTextFileSync(target, "changed since\n");
    await assert.rejects(
      rollbackRun(second.id, exec, { stateDir: paths.dir }),
      new RegExp(`^UsageError: run "${second.id}" was already rolled back: nothing left to undo`),
    );
    assert.equal(Deno.readTextFileSync(target), "changed since\n");
    assert.equal((await healthNow([], exec, paths.dir)).checks.length, 1);
    await assert.rejects(
      rollbackRun("2099", exec, { stateDir: paths.dir }),
      /expected the id of one run with a snapshot, got "2099"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
