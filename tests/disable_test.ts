/**
 * `cm disable` / `cm enable` as processes: sync and apply refuse with exit 7,
 * naming the reason, who and when; status shows it; checks still run.
 */
import assert from "node:assert/strict";
import { runCm, tempDir } from "./harness.ts";
import { fileCookbook, Remote } from "./sync_git.ts";

async function read(path: string): Promise<string | null> {
  return await Deno.readTextFile(path).catch(() => null);
}

Deno.test("while disabled, sync and apply refuse (exit 7) with the reason; status shows it; enable lifts it", async () => {
  await using tmp = await tempDir("cm-disable-");
  const state = `${tmp.path}/state`;
  const target = `${tmp.path}/motd`;
  const config = `${tmp.path}/config.yaml`;
  await Deno.writeTextFile(config, "# flags only\nrepo: file:///placeholder\n");
  const env = { CM_CONFIG: config };
  const remote = await Remote.create(`${tmp.path}/git`);
  await remote.commit({ "default.yaml": fileCookbook(target, "from git\n") }, "first");
  const book = `${tmp.path}/book.yaml`;
  await Deno.writeTextFile(book, fileCookbook(target, "by hand\n"));
  const sync = ["sync", "--once", "--repo", remote.fileUrl, "--state-dir", state];

  const disabled = await runCm(["disable", "--state-dir", state, "db", "migration"], { env });
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.match(
    disabled.stdout,
    /cm disabled since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} by root: "db migration"/,
  );

  const refusal =
    /refused: cm is disabled since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} by root: "db migration" \(cm enable/;
  for (const args of [sync, ["apply", "--state-dir", state, book]]) {
    const r = await runCm(args, { env });
    assert.equal(r.code, 7, `${args[0]}: ${r.stderr}`);
    assert.match(r.stderr, refusal);
    assert.equal(await read(target), null, `${args[0]} changed nothing`);
  }
  assert.equal(await read(`${state}/state.json`), null, "nothing recorded");
  // Reading and planning still run.
  const plan = await runCm(["apply", "--check", "--state-dir", state, book], { env });
  assert.equal(plan.code, 0, plan.stderr);

  const status = await runCm(["status", "--state-dir", state], { env });
  assert.equal(status.code, 1);
  assert.match(
    status.stdout,
    /^disabled: +since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} by root: "db migration"$/m,
  );
  assert.match(status.stdout, /^problem: +cm is disabled .*refuse until cm enable$/m);
  const json = JSON.parse(
    (await runCm(["status", "--json", "--state-dir", state], { env })).stdout,
  );
  assert.equal(json.disabled.reason, "db migration");

  // Disabling again keeps the first reason.
  const again = await runCm(["disable", "--state-dir", state, "other"], { env });
  assert.match(again.stdout, /already disabled .*"db migration"; left as it is/);

  const enabled = await runCm(["enable", "--state-dir", state], { env });
  assert.equal(enabled.code, 0, enabled.stderr);
  assert.match(enabled.stdout, /enabled again \(it was disabled since .*"db migration"\)/);
  const synced = await runCm(sync, { env });
  assert.equal(synced.code, 0, synced.stderr);
  assert.equal(await read(target), "from git\n");
  assert.equal((await runCm(["status", "--state-dir", state], { env })).code, 0);
  assert.match((await runCm(["enable", "--state-dir", state], { env })).stdout, /not disabled/);
});

Deno.test("a rollback of a cm apply on a node that syncs says the next sync puts it back; disabled, it stands", async () => {
  await using tmp = await tempDir("cm-disable-");
  const state = `${tmp.path}/state`;
  const target = `${tmp.path}/motd`;
  const config = `${tmp.path}/config.yaml`;
  await Deno.writeTextFile(config, "# flags only\nrepo: file:///placeholder\n");
  const env = { CM_CONFIG: config };
  const remote = await Remote.create(`${tmp.path}/git`);
  await remote.commit({ "default.yaml": fileCookbook(target, "v1\n") }, "v1");
  const sync = ["sync", "--once", "--repo", remote.fileUrl, "--state-dir", state];
  assert.equal((await runCm(sync, { env })).code, 0);
  // v2 is pushed and applied by hand before the timer runs.
  await remote.commit({ "default.yaml": fileCookbook(target, "v2\n") }, "v2");
  const book = `${tmp.path}/hand.yaml`;
  await Deno.writeTextFile(book, fileCookbook(target, "v2\n"));
  const apply = ["apply", "--state-dir", state, book];

  assert.equal((await runCm(apply, { env })).code, 0);
  let r = await runCm(["rollback", "--state-dir", state], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: run \S+ was a cm apply by hand on a node that syncs from git: the next cm sync converges 1 of the restored resources \(file\[.*motd\]\) .*cm disable REASON now/,
  );

  assert.equal((await runCm(apply, { env })).code, 0);
  assert.equal((await runCm(["disable", "--state-dir", state, "INC-42"], { env })).code, 0);
  r = await runCm(["rollback", "--state-dir", state], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /cm is disabled since .*"INC-42", so the rollback stands until cm enable/);
  assert.equal((await runCm(sync, { env })).code, 7);
  assert.equal(await read(target), "v1\n", "the rollback stands");
  assert.equal((await runCm(["enable", "--state-dir", state], { env })).code, 0);
  assert.equal((await runCm(sync, { env })).code, 0);
  assert.equal(await read(target), "v2\n", "then cm sync follows git");
});
