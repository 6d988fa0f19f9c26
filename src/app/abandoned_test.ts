import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { type StatePaths, statePaths } from "../state/paths.ts";
import { readRun } from "../state/store.ts";
import { converge } from "./converge.ts";
import { takeRunLock } from "./abandoned.ts";

const exec = new RealExecutor();
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** What taking (and releasing) the run lock warns about. */
async function lockWarnings(paths: StatePaths): Promise<string[]> {
  const warnings: string[] = [];
  const lock = await takeRunLock(exec, paths, {
    timeoutMs: 0,
    command: "cm apply",
    warn: (line) => warnings.push(line),
  });
  lock.release();
  return warnings;
}

Deno.test("a run killed while it changed the machine is recorded by the next one, from its snapshot", async () => {
  await using dir = await tempDir();
  const [target, started, book] = [
    `${dir.path}/site.conf`,
    `${dir.path}/started`,
    `${dir.path}/b.yaml`,
  ];
  const paths = statePaths(`${dir.path}/state`);
  // The file changes first; the command after it (it requires the file) is where cm dies.
  Deno.writeTextFileSync(
    book,
    `install:\n  post_install:\n    - command: [sh, -c, 'touch "$0"; sleep 30', ${started}]\n` +
      `      requires: ["file[${target}]"]\nconfigure:\n  files:\n    - path: ${target}\n      content: "v1\\n"\n`,
  );
  const runner = `${dir.path}/runner.ts`;
  Deno.writeTextFileSync(
    runner,
    `import { RealExecutor } from ${
      JSON.stringify(new URL("../exec/real.ts", import.meta.url).href)
    };
import { converge } from ${JSON.stringify(new URL("./converge.ts", import.meta.url).href)};
await converge([${JSON.stringify(book)}], new RealExecutor(), { mode: "apply", stateDir: ${
      JSON.stringify(paths.dir)
    }, lock: "take", commit: "${COMMIT}" });`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("../../deno.json", import.meta.url).pathname, runner],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  while (!(await Deno.stat(started).catch(() => null))) {
    if (exited) {
      const { stderr } = await child.output();
      assert.fail(`the runner ended before its command began: ${new TextDecoder().decode(stderr)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill("SIGKILL");
  await child.output();
  await new Deno.Command("pkill", { args: ["-f", `touch "$0"; sleep 30`] }).output();
  assert.equal(Deno.readTextFileSync(target), "v1\n", "the file was written before cm died");

  // The next apply (of the file alone) takes the lock and records the run cm died in.
  const warnings: string[] = [];
  const calm = `${dir.path}/c.yaml`;
  Deno.writeTextFileSync(
    calm,
    `configure:\n  files:\n    - path: ${target}\n      content: "v1\\n"\n`,
  );
  const next = await converge([calm], exec, {
    mode: "apply",
    stateDir: paths.dir,
    lock: "take",
    events: { warning: (line) => warnings.push(line) },
  });
  assert.equal(next.result, "ok");
  const killedId = warnings[0]?.match(
    /^run (\S+) \(cm apply, PID \d+\) was killed while it changed/,
  )?.[1];
  assert.ok(killedId, warnings.join("\n"));
  const killed = readRun(exec, paths, killedId)!;
  assert.equal(killed.result, "interrupted");
  // What it applied, as its own report would have said (cm history lists it by them).
  assert.deepEqual([killed.cookbooks, killed.commit], [[book], COMMIT]);
  const file = killed.resources.find((r) => r.id === `file[${target}]`);
  assert.equal(file?.status, "failed");
  assert.match(file.error!, /^cm was killed while it ran: this may have changed/);
  assert.equal(readRun(exec, paths, next.id)?.result, "ok");
  // Told once: the report now exists, so the run after says nothing more.
  const again: string[] = [];
  await converge([calm], exec, {
    mode: "apply",
    stateDir: paths.dir,
    lock: "take",
    events: { warning: (line) => again.push(line) },
  });
  assert.deepEqual(again, []);
});

Deno.test("old history never stops the next run: a dead run's report already there (damaged) or unwritable", async () => {
  await using dir = await tempDir();
  const paths = statePaths(`${dir.path}/state`);
  Deno.mkdirSync(paths.dir, { recursive: true });
  const dead = (run: string) =>
    Deno.writeTextFileSync(
      paths.lock,
      JSON.stringify({ pid: 1, command: "cm apply", since: "2026-12-01T05:00:00.000Z", run }) +
        "\n",
    );
  const take = () => lockWarnings(paths);
  Deno.mkdirSync(paths.runs);
  Deno.writeTextFileSync(`${paths.runs}/20261201T050000Z-1.json`, "{");
  dead("20261201T050000Z-1");
  assert.deepEqual(await take(), [], "it recorded itself: nothing to add");
  Deno.removeSync(paths.runs, { recursive: true });
  Deno.writeTextFileSync(paths.runs, "a file where runs/ goes");
  dead("20261201T050000Z-2");
  const [warning] = await take();
  assert.match(
    warning,
    /^cannot record run 20261201T050000Z-2, killed while it changed the machine: /,
  );
});

Deno.test("a run killed while nothing it changed was snapshotted (a command) is recorded without pointing at a rollback", async () => {
  await using dir = await tempDir();
  const paths = statePaths(`${dir.path}/state`);
  Deno.mkdirSync(paths.runs, { recursive: true });
  const run = "20261201T050000Z-3";
  Deno.writeTextFileSync(
    paths.lock,
    JSON.stringify({ pid: 7, command: "cm apply", since: "2026-12-01T05:00:00.000Z", run }) + "\n",
  );
  assert.deepEqual(await lockWarnings(paths), [
    `run ${run} (cm apply, PID 7) was killed while it changed the machine (nothing it can roll ` +
    `back: a command, say) and never recorded itself; its report now says so (cm show-run ${run})`,
  ]);
  assert.equal(readRun(exec, paths, run)?.result, "interrupted");
});
