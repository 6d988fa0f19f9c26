import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { tempDir } from "../src/_testing.ts";
import { cron, cronKind, type CronSpec, NO_CRON_DAEMON, parseCron, renderCron } from "./cron.ts";
import { scheduleProblem, schema as cronSchema } from "./cron_schema.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import { snapshotStore } from "../src/state/snapshots.ts";

function spec(fields: Record<string, unknown>): CronSpec {
  return cronSchema.parse(fields);
}

const BACKUP = {
  name: "backup",
  schedule: "30 2 * * mon-fri",
  user: "www-data",
  command: "tar czf /srv/backup-$(date +%F).tgz /srv/app",
};

Deno.test("cron schedule accepts five fields with lists, ranges, steps and names, and shorthands", () => {
  for (
    const ok of [
      "* * * * *",
      "*/5 * * * *",
      "0,15,30,45 8-18/2 1-31 jan-dec sun-sat",
      "0 0 * * 7",
      "5 4 * FEB Mon,Wed",
      "@reboot",
      "@daily",
    ]
  ) {
    assert.equal(scheduleProblem(ok), undefined, ok);
  }
});

Deno.test("cron schedule problems name the field and the value", () => {
  assert.equal(
    scheduleProblem("* * * *"),
    'expected 5 fields (minute hour day-of-month month day-of-week) or @daily etc., got 4 in "* * * *"',
  );
  assert.equal(scheduleProblem("60 * * * *"), 'minute: "60" is out of range: expected 0-59');
  assert.equal(
    scheduleProblem("* * * * fun"),
    'day of week: "fun" is out of range: expected 0-7 or a name like "mon"',
  );
  assert.equal(scheduleProblem("* 5-2 * * *"), 'hour: range "5-2" runs backwards');
  assert.equal(
    scheduleProblem("*/0 * * * *"),
    'minute: step "0" in "*/0" is not a positive number',
  );
  assert.equal(scheduleProblem("5/10 * * * *"), 'minute: a step needs a range or "*": "5/10"');
  assert.equal(scheduleProblem("* * 0 * *"), 'day of month: "0" is out of range: expected 1-31');
  assert.match(
    scheduleProblem("@fortnightly")!,
    /^expected one of @reboot, .* got "@fortnightly"$/,
  );
});

Deno.test("cron schema refuses names cron would skip, a leading dash and a multi-line command", () => {
  const message = (fields: Record<string, unknown>) =>
    cronSchema.safeParse({ ...BACKUP, ...fields }).error?.issues[0].message;
  assert.match(message({ name: "backup.sh" })!, /^expected a cron.d file name/);
  assert.match(message({ name: "-rf" })!, /not starting with -/);
  assert.equal(message({ command: "a\nb" }), "a command must fit on one line");
  assert.equal(message({ schedule: "61 * * * *" }), 'minute: "61" is out of range: expected 0-59');
  assert.equal(message({}), undefined);
});

Deno.test("cron id, claims and check", () => {
  const s = spec(BACKUP);
  assert.equal(cron.id(s), "cron[backup]");
  assert.deepEqual(cron.claims!(s), ["path:/etc/cron.d/backup"]);
  assert.deepEqual(cron.check!(s), []);
  assert.deepEqual(cron.check!(spec({ name: "x" })), [
    { field: "schedule", message: "expected a schedule for a cron entry (or state: absent)" },
    { field: "command", message: "expected a command for a cron entry (or state: absent)" },
  ]);
  assert.deepEqual(cron.check!(spec({ name: "x", state: "absent" })), []);
});

Deno.test("cron renders environment and entry, escapes %, and reads its own file back", () => {
  const s = spec({ ...BACKUP, environment: { MAILTO: "ops@example.org", PATH: "/usr/bin:/bin" } });
  const text = renderCron(s, "cron[backup]");
  assert.equal(
    text,
    "# cron[backup]: managed by cm, changes here are overwritten\n" +
      "MAILTO=ops@example.org\nPATH=/usr/bin:/bin\n" +
      "30 2 * * mon-fri www-data tar czf /srv/backup-$(date +\\%F).tgz /srv/app\n",
  );
  assert.deepEqual(parseCron(text), {
    schedule: "30 2 * * mon-fri",
    user: "www-data",
    command: BACKUP.command,
    environment: { MAILTO: "ops@example.org", PATH: "/usr/bin:/bin" },
  });
  assert.equal(parseCron("@daily root  run-parts /x\n")?.command, "run-parts /x");
  assert.equal(parseCron("* * * * * root a\n* * * * * root b\n"), null);
});

Deno.test("cron writes a new file root-owned 0644, then finds nothing to do", async () => {
  const exec = new RecordingExecutor().put("/etc/cron.d", undefined);
  const s = spec(BACKUP);
  const { changes, outcome } = await convergeOne(cron, s, exec);
  assert.deepEqual(changes, [{ field: "state", before: "absent", after: "present" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["write /etc/cron.d/backup"]);
  assert.equal(exec.stat("/etc/cron.d/backup")?.mode, 0o644);
  assert.deepEqual(await planOne(cron, s, exec), []);
});

Deno.test("cron reports which fields changed in its own file", async () => {
  const exec = new RecordingExecutor().put("/etc/cron.d", undefined)
    .put("/etc/cron.d/backup", renderCron(spec(BACKUP), "cron[backup]"), { mode: 0o664 });
  const changes = await planOne(
    cron,
    spec({ ...BACKUP, schedule: "@daily", environment: { MAILTO: "" } }),
    exec,
  );
  assert.deepEqual(changes, [
    { field: "schedule", before: "30 2 * * mon-fri", after: "@daily" },
    { field: "environment", before: {}, after: { MAILTO: "" } },
    { field: "mode", before: "0664", after: "0644" },
  ]);
});

Deno.test("cron replaces a hand-written file and removes the file when absent", async () => {
  const exec = new RecordingExecutor().put("/etc/cron.d", undefined)
    .put("/etc/cron.d/backup", "# by hand\n0 * * * * root a\n0 1 * * * root b\n");
  const { changes } = await convergeOne(cron, spec(BACKUP), exec);
  assert.deepEqual(changes, [{ field: "content", before: "(other text)", after: "(cm's entry)" }]);
  const gone = await convergeOne(cron, spec({ name: "backup", state: "absent" }), exec);
  assert.deepEqual(gone.changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(exec.writes, ["write /etc/cron.d/backup", "remove /etc/cron.d/backup"]);
});

Deno.test("cron fails when /etc/cron.d is missing", async () => {
  const exec = new RecordingExecutor();
  const { outcome } = await convergeOne(cron, spec(BACKUP), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: '"/etc/cron.d" does not exist: is cron installed?',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("cron on a real file system writes atomically and converges in one run", async () => {
  await using dir = await tempDir("cm-cron-test-");
  const kind = cronKind(dir.path, () => true);
  const exec = new RealExecutor();
  const s = spec({ ...BACKUP, environment: { MAILTO: "" } });
  assert.deepEqual((await convergeOne(kind, s, exec)).outcome, { ok: true });
  const info = Deno.statSync(`${dir.path}/backup`);
  assert.deepEqual([info.mode! & 0o777, info.uid, info.gid], [0o644, 0, 0]);
  assert.equal(Deno.readTextFileSync(`${dir.path}/backup`), renderCron(s, "cron[backup]"));
  assert.deepEqual(await planOne(kind, s, exec), []);
  Deno.chmodSync(`${dir.path}/backup`, 0o666);
  assert.deepEqual((await convergeOne(kind, s, exec)).changes, [
    { field: "mode", before: "0666", after: "0644" },
  ]);
  assert.deepEqual(await planOne(kind, s, exec), []);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["backup"]);
});

Deno.test("cron rollback puts an edited file back, and removes a file the run created", async () => {
  await using dir = await tempDir("cm-cron-test-");
  const kind = cronKind(`${dir.path}/cron.d`, () => true);
  Deno.mkdirSync(`${dir.path}/cron.d`);
  const exec = new RealExecutor();
  const store = snapshotStore(exec, `${dir.path}/snapshots`);
  const path = `${dir.path}/cron.d/backup`;
  Deno.writeTextFileSync(path, "# by hand\n0 3 * * * root /bin/true\n");
  const changeAndRollBack = async (s: CronSpec) => {
    const [current] = await kind.read([s], exec, testContext());
    const before = await kind.snapshot!(s, current, store);
    assert.deepEqual((await convergeOne(kind, s, exec)).outcome, { ok: true });
    return await kind.restore!(before, exec, store, testContext());
  };
  assert.deepEqual(await changeAndRollBack(spec(BACKUP)), { ok: true });
  assert.equal(Deno.readTextFileSync(path), "# by hand\n0 3 * * * root /bin/true\n");
  const fresh = spec({ ...BACKUP, name: "fresh" });
  assert.deepEqual(await changeAndRollBack(fresh), { ok: true });
  assert.deepEqual([...Deno.readDirSync(`${dir.path}/cron.d`)].map((e) => e.name), ["backup"]);
});

Deno.test("a cron entry for a user that does not exist fails in plan and apply, unless the run may make the user", async () => {
  const exec = new RecordingExecutor().put("/etc/cron.d", undefined);
  const s = spec({ ...BACKUP, user: "wwwdata" });
  const { changes, outcome } = await convergeOne(cron, s, exec);
  const why = 'user "wwwdata" does not exist: cron would skip the entry';
  assert.deepEqual(changes, [
    { field: "state", before: "absent", after: "present", note: why, blocked: true },
  ]);
  assert.deepEqual(outcome, { ok: false, error: why });
  assert.deepEqual(exec.writes, []);
  // A user resource of the run makes it: only not there yet.
  const [state] = await cron.read([s], exec, testContext("plan", [], { "user:wwwdata": "user" }));
  assert.deepEqual(cron.diff(s, state), [
    {
      field: "state",
      before: "absent",
      after: "present",
      note: 'user "wwwdata" does not exist yet',
    },
  ]);
});

Deno.test("cron fails an entry when no installed package is or provides cron-daemon, in the plan too", async () => {
  const status = (cronState: string) =>
    `Package: e2fsprogs\nStatus: install ok installed\n\nPackage: cron\nStatus: ${cronState}\nProvides: cron-daemon\n`;
  const machine = (cronState: string) =>
    new RecordingExecutor().put("/etc/cron.d", undefined).put("/etc/cron.d/e2scrub_all", "#")
      .put("/var/lib/dpkg/status", status(cronState));
  const s = spec(BACKUP);
  const created = { field: "state", before: "absent", after: "present" };
  // cron removed, its configuration kept: /etc/cron.d is there, nothing reads it.
  const bare = machine("deinstall ok config-files");
  const { changes, outcome } = await convergeOne(cron, s, bare);
  assert.deepEqual(changes, [{ ...created, note: NO_CRON_DAEMON, blocked: true }]);
  assert.deepEqual(outcome, { ok: false, error: NO_CRON_DAEMON });
  assert.deepEqual(bare.writes, []);
  // A package or command earlier in the run may install one: only noted in the plan.
  const [later] = await cron.read([s], bare, testContext("plan", ["package[cron]"]));
  assert.deepEqual(cron.diff(s, later), [{ ...created, note: "no cron daemon is installed yet" }]);
  // Installed: written; removing an entry never needs a daemon.
  const installed = machine("install ok installed");
  assert.deepEqual((await convergeOne(cron, s, installed)).outcome, { ok: true });
  assert.deepEqual(
    await planOne(
      cron,
      spec({ name: "backup", state: "absent" }),
      bare.put("/etc/cron.d/backup", "x"),
    ),
    [{ field: "state", before: "present", after: "absent" }],
  );
});
