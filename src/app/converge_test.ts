import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { acquireLock } from "../state/lock.ts";
import { statePaths } from "../state/paths.ts";
import { readState } from "../state/store.ts";
import { converge, loadCached } from "./converge.ts";
import { StateError } from "../errors.ts";
import { sha256Hex } from "../digest.ts";

const exec = new RealExecutor();

/** A temp dir with a cookbook writing `target`; removed when disposed. */
async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cm-converge-" });
  const book = `${dir}/book.yaml`;
  const target = `${dir}/motd`;
  await Deno.writeTextFile(
    book,
    `name: t\nconfigure:\n  files:\n    - path: ${target}\n      content: "hi\\n"\n`,
  );
  const paths = statePaths(`${dir}/state`);
  return {
    dir,
    book,
    target,
    paths,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** An apply of the test's cookbook with the vars file `vars`. */
function applyWithVars(t: { book: string; paths: { dir: string } }, vars: string) {
  return converge([t.book], exec, {
    mode: "apply",
    stateDir: t.paths.dir,
    lock: "take",
    varsFile: vars,
  });
}

Deno.test("converge plan reads only: no file, no state, no catalog; events see each result", async () => {
  await using t = await setup();
  const seen: string[] = [];
  const report = await converge([t.book], exec, {
    mode: "plan",
    stateDir: t.paths.dir,
    lock: "take",
    events: { result: (r) => seen.push(`${r.status} ${r.id}`) },
  });
  assert.equal(report.totals.changed, 1);
  assert.deepEqual(seen, [`changed file[${t.target}]`]);
  assert.equal(exec.stat(t.target), null);
  assert.equal(exec.stat(t.paths.dir), null);
});

Deno.test("converge apply records the run with its commit and caches the catalog", async () => {
  await using t = await setup();
  const report = await converge([t.book], exec, {
    mode: "apply",
    stateDir: t.paths.dir,
    lock: "take",
    commit: "c0ffee",
  });
  assert.equal(report.result, "ok");
  assert.equal(await Deno.readTextFile(t.target), "hi\n");
  const state = readState(exec, t.paths);
  assert.deepEqual(state.lastRun?.commit, "c0ffee");
  assert.equal(state.lastRun?.id, report.id);
  assert.ok(exec.stat(t.paths.catalog));
});

Deno.test("a run from the catalog records the same desired digests as the run that loaded it", async () => {
  await using t = await setup();
  const apply = () =>
    converge([t.book], exec, { mode: "apply", stateDir: t.paths.dir, lock: "take" });
  await apply();
  const loaded = readState(exec, t.paths).resources[`file[${t.target}]`].desired;
  assert.match(loaded ?? "", /^[0-9a-f]{64}$/);
  Deno.writeTextFileSync(t.target, "changed by hand\n");
  const again = await apply();
  assert.equal(readState(exec, t.paths).resources[`file[${t.target}]`].desired, loaded);
  assert.equal(again.resources[0].drift, true, "drift is still recognised from the catalog");
});

Deno.test("converge with the lock held by the caller runs; taking it waits and times out", async () => {
  await using t = await setup();
  using _held = await acquireLock(t.paths.lock, 0, "test");
  const report = await converge([t.book], exec, {
    mode: "apply",
    stateDir: t.paths.dir,
    lock: "held",
  });
  assert.equal(report.result, "ok");
  await assert.rejects(
    converge([t.book], exec, {
      mode: "apply",
      stateDir: t.paths.dir,
      lock: "take",
      lockTimeout: 0,
    }),
    /another cm run holds the lock/,
  );
});

Deno.test("converge asks the interrupts it started, and disposes of them when the apply ends", async () => {
  await using t = await setup();
  let disposed = false;
  const report = await converge([t.book], exec, {
    mode: "apply",
    stateDir: t.paths.dir,
    lock: "take",
    interrupts: () => ({
      interrupted: () => "interrupted by test",
      [Symbol.dispose]: () => disposed = true,
    }),
  });
  assert.equal(report.result, "interrupted");
  assert.equal(report.resources[0].status, "skipped");
  assert.equal(exec.stat(t.target), null);
  assert.ok(disposed);
});

Deno.test("a directory where the state file belongs refuses the apply before it changes anything", async () => {
  await using t = await setup();
  Deno.mkdirSync(t.paths.state, { recursive: true });
  await assert.rejects(
    converge([t.book], exec, { mode: "apply", stateDir: t.paths.dir, lock: "take" }),
    (e: unknown) => e instanceof StateError && /state\.json": is a directory/.test(e.message),
  );
  assert.equal(exec.stat(t.target), null, "nothing changed");
});

Deno.test("a run gets an id after the last one recorded, even one another process gave out later in its second", async () => {
  await using t = await setup();
  const apply = () =>
    converge([t.book], exec, { mode: "apply", stateDir: t.paths.dir, lock: "take" });
  await apply();
  const state = JSON.parse(Deno.readTextFileSync(t.paths.state));
  const later = "29991231T235959Z-99999";
  state.lastRun.id = later;
  Deno.writeTextFileSync(t.paths.state, JSON.stringify(state));
  assert.equal((await apply()).id, `${later}.2`);
  assert.equal(readState(exec, t.paths).lastRun?.id, `${later}.2`);
});

Deno.test("a cookbook edited while it loads is not cached as its new bytes: the next run loads the edit", async () => {
  await using t = await setup();
  const edit = Deno.readTextFileSync(t.book).replace('"hi\\n"', '"edited\\n"');
  // The edit lands right after the load read the cookbook, before the run ends.
  class EditedWhileLoading extends RealExecutor {
    override readFile(path: string) {
      const data = super.readFile(path);
      if (path === t.book) Deno.writeTextFileSync(t.book, edit);
      return data;
    }
  }
  const apply = (executor: RealExecutor) =>
    converge([t.book], executor, { mode: "apply", stateDir: t.paths.dir, lock: "take" });
  await apply(new EditedWhileLoading());
  assert.equal(Deno.readTextFileSync(t.target), "hi\n", "the run applied what it read");
  await apply(exec);
  assert.equal(Deno.readTextFileSync(t.target), "edited\n");
});

Deno.test("health checks and the rollback show the vars file's values masked, as the run does", async () => {
  await using t = await setup();
  const token = "S3CR3T-TOKEN-XYZ";
  const vars = `${t.dir}/vars.yaml`;
  await Deno.writeTextFile(vars, `vars: {token: "${token}"}\n`, { mode: 0o600 });
  await Deno.writeTextFile(
    t.book,
    `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${t.target}\n      content: "hi\\n"\n` +
      `health:\n  - command: [test, "{{ token }}", "=", "other"]\n    retries: 0\n`,
  );
  const seen: string[] = [];
  const report = await converge([t.book], exec, {
    mode: "apply",
    stateDir: t.paths.dir,
    lock: "take",
    varsFile: vars,
    events: { health: (h) => seen.push(JSON.stringify(h)) },
  });
  assert.equal(report.health?.ok, false);
  assert.ok(report.rollback, "rolled back");
  const text = JSON.stringify(report) + seen.join("");
  assert.equal(text.includes(token), false, text);
  assert.match(text, /command\[test \*\*\* = other\]/);
});

Deno.test("with the node's vars file a no-op comes from the sealed catalog; a new value is applied", async () => {
  await using t = await setup();
  const vars = `${t.dir}/vars.yaml`;
  await Deno.writeTextFile(vars, "vars: {token: first-secret-value}\n", { mode: 0o600 });
  await Deno.writeTextFile(
    t.book,
    `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${t.target}\n      content: "{{ token }}\\n"\n`,
  );
  const apply = () => applyWithVars(t, vars);
  await apply();
  const cached = await loadCached([t.book], exec, t.paths.catalog, { varsFile: vars });
  assert.equal(cached.cached, true);
  assert.deepEqual(cached.cookbook.secrets, ["first-secret-value"], "masked as a fresh load would");
  assert.equal((await apply()).totals.changed, 0);
  assert.equal(Deno.readTextFileSync(t.paths.catalog).includes("first-secret-value"), false);
  await Deno.writeTextFile(vars, "vars: {token: second-secret-value}\n");
  assert.equal((await apply()).totals.changed, 1);
  assert.equal(Deno.readTextFileSync(t.target), "second-secret-value\n");
});

Deno.test("a vars file named relative to the working directory is recorded absolute", async () => {
  await using t = await setup();
  await Deno.writeTextFile(`${t.dir}/vars.yaml`, "vars: {token: a-secret-value}\n", {
    mode: 0o600,
  });
  const cwd = Deno.cwd();
  Deno.chdir(t.dir);
  try {
    const apply = { mode: "apply", stateDir: t.paths.dir, lock: "take" } as const;
    const report = await converge([t.book], exec, { ...apply, varsFile: "vars.yaml" });
    assert.equal(report.varsFile, `${t.dir}/vars.yaml`);
  } finally {
    Deno.chdir(cwd);
  }
  // cm drift, watch and health load the applied cookbooks with it, from any directory.
  assert.equal(readState(exec, t.paths).lastRun?.varsFile, `${t.dir}/vars.yaml`);
});

Deno.test("the state and run reports keep no hash of a resource holding a vars file value", async () => {
  await using t = await setup();
  const vars = `${t.dir}/vars.yaml`;
  await Deno.writeTextFile(vars, "vars: {token: weak-pin-1234}\n", { mode: 0o600 });
  const app = `${t.dir}/app.conf`;
  await Deno.writeTextFile(
    t.book,
    `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${t.target}\n      content: "hi\\n"\n` +
      `    - path: ${app}\n      content: "token={{ token }}\\n"\n`,
  );
  const apply = () => applyWithVars(t, vars);
  for (const report of [await apply(), await apply()]) {
    // Guessing the token offline from a copy of the state directory: sha256 of a candidate file.
    const guess = await sha256Hex("token=weak-pin-1234\n");
    const records = [
      Deno.readTextFileSync(t.paths.state),
      Deno.readTextFileSync(`${t.paths.runs}/${report.id}.json`),
      JSON.stringify(report),
    ];
    for (const text of records) assert.equal(text.includes(guess), false, text);
    const state = readState(exec, t.paths);
    assert.equal(state.resources[`file[${app}]`].desired, undefined, "no digest of its spec");
    assert.ok(state.resources[`file[${t.target}]`].desired, "one holding no secret keeps it");
    assert.ok(state.resources[`file[${t.target}]`].sha256);
  }
});

Deno.test("the diff of a rotated vars file value (recorded, or --diff) shows neither value", async () => {
  await using t = await setup();
  const vars = `${t.dir}/vars.yaml`;
  await Deno.writeTextFile(
    t.book,
    `vars: {token: unset}\nconfigure:\n  files:\n    - path: ${t.target}\n      content: "a\\ntoken={{ token }}\\nb\\n"\n`,
  );
  const apply = async (token: string, diff: boolean) => {
    await Deno.writeTextFile(vars, `vars: {token: ${token}}\n`, { mode: 0o600 });
    const options = { stateDir: t.paths.dir, lock: "take", varsFile: vars, diff } as const;
    return await converge([t.book], exec, { mode: "apply", ...options });
  };
  await apply("old-password-1", false);
  for (const [token, diffFlag] of [["new-password-2", false], ["old-password-1", true]] as const) {
    const report = await apply(token, diffFlag);
    const diff = report.resources[0].diff ?? "";
    const recorded = Deno.readTextFileSync(`${t.paths.runs}/${report.id}.json`);
    assert.equal(/old-password-1|new-password-2/.test(diff + recorded), false, diff);
    assert.match(diff, /^-\*\*\*$/m);
    assert.match(diff, /^\+token=\*\*\*$/m);
    assert.match(diff, /^ a$/m, "the lines around it still show");
  }
});
