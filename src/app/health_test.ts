import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { UsageError } from "../errors.ts";
import { tempDir } from "../_testing.ts";
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

/** Applies of one cookbook that manages `files` (path: content) in `dir`, with state in `dir`/state. */
function applier(dir: string) {
  const paths = statePaths(`${dir}/state`);
  const book = `${dir}/book.yaml`;
  const apply = (files: Record<string, string>) => {
    const entries = Object.entries(files).map(([p, c]) =>
      `    - path: ${p}\n      content: "${c}\\n"\n`
    );
    Deno.writeTextFileSync(book, `configure:\n  files:\n${entries.join("")}`);
    return converge([book], exec, { mode: "apply", stateDir: paths.dir, lock: "take" });
  };
  return { paths, apply };
}

Deno.test("an older run is not rolled back over what later runs changed again, unless forced", async () => {
  await using dir = await tempDir();
  const { paths, apply } = applier(dir.path);
  const [site, other] = [`${dir.path}/site.conf`, `${dir.path}/other.conf`];
  const first = await apply({ [site]: "v1", [other]: "o1" });
  const second = await apply({ [site]: "v2", [other]: "o1" });
  const third = await apply({ [site]: "v3", [other]: "o1" });
  await assert.rejects(
    rollbackRun(first.id, exec, { stateDir: paths.dir }),
    new RegExp(
      `^UsageError: cannot roll back run "${first.id}": later runs changed the same resources ` +
        `again \\(file\\[${site}\\]\\): roll back ${third.id}, ${second.id} first, newest first`,
    ),
  );
  assert.equal(Deno.readTextFileSync(site), "v3\n", "nothing restored");
  assert.equal(readRun(exec, paths, first.id)?.rollback, undefined);
  // A run of the same second and process (X.2 beside X) leaves X a whole id, not an ambiguous prefix.
  Deno.mkdirSync(`${paths.dir}/snapshots/${first.id}.9`);
  const { record } = await rollbackRun(first.id, exec, { stateDir: paths.dir, force: true });
  assert.equal(record.ok, true);
  assert.throws(() => Deno.statSync(site), Deno.errors.NotFound);
  assert.throws(() => Deno.statSync(other), Deno.errors.NotFound);
});

Deno.test("undone newest first, each older run may be rolled back in turn", async () => {
  await using dir = await tempDir();
  const { paths, apply } = applier(dir.path);
  const site = `${dir.path}/site.conf`;
  const first = await apply({ [site]: "v1" });
  const second = await apply({ [site]: "v2" });
  const third = await apply({ [site]: "v3" });
  await rollbackRun(third.id, exec, { stateDir: paths.dir });
  await assert.rejects(
    rollbackRun(first.id, exec, { stateDir: paths.dir }),
    new RegExp(`roll back ${second.id} first`),
    "a run rolled back no longer counts",
  );
  await rollbackRun(second.id, exec, { stateDir: paths.dir });
  assert.equal(Deno.readTextFileSync(site), "v1\n");
  assert.equal((await rollbackRun(first.id, exec, { stateDir: paths.dir })).record.ok, true);
  assert.throws(() => Deno.statSync(site), Deno.errors.NotFound);
});

Deno.test("an older run is not rolled back over a later run whose snapshot cannot be read, unless forced", async () => {
  await using dir = await tempDir();
  const { paths, apply } = applier(dir.path);
  const site = `${dir.path}/site.conf`;
  const first = await apply({ [site]: "v1" });
  const second = await apply({ [site]: "v2" });
  Deno.writeTextFileSync(`${paths.dir}/snapshots/${second.id}/manifest.json`, "{");
  await assert.rejects(
    rollbackRun(first.id, exec, { stateDir: paths.dir }),
    new RegExp(`the snapshot of the later run "${second.id}" cannot be read.*--force`),
  );
  assert.equal(Deno.readTextFileSync(site), "v2\n", "nothing restored");
  await rollbackRun(first.id, exec, { stateDir: paths.dir, force: true });
  assert.throws(() => Deno.statSync(site), Deno.errors.NotFound);
});
