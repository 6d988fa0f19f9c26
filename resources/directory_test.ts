import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import type { Executor } from "../src/exec/executor.ts";
import { directory, type DirectorySpec } from "./directory.ts";
import { schema as directorySchema } from "./directory_schema.ts";
import { testContext } from "./_testing.ts";
import { walkTree } from "./_tree.ts";
import { snapshotStore } from "../src/state/snapshots.ts";
import { tempDir } from "../src/_testing.ts";

function spec(fields: Record<string, unknown>): DirectorySpec {
  return directorySchema.parse(fields);
}

async function changesOf(s: DirectorySpec, exec: Executor) {
  const [state] = await directory.read([s], exec, testContext("plan"));
  return directory.diff(s, state);
}

async function converge(s: DirectorySpec, exec: Executor) {
  const changes = await changesOf(s, exec);
  const [outcome] = await directory.apply([{ spec: s, changes }], exec, testContext());
  return { changes, outcome };
}

Deno.test("directory id names the path", () => {
  assert.equal(directory.id(spec({ path: "/srv/www" })), "directory[/srv/www]");
});

Deno.test("directory creates missing parents plainly and gives the leaf its mode and owner", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined);
  const { changes, outcome } = await converge(
    spec({ path: "/srv/a/b/private", mode: "0700", owner: "www-data" }),
    exec,
  );
  assert.deepEqual(changes, [
    { field: "state", before: "absent", after: "present" },
    { field: "owner", before: null, after: "www-data" },
    { field: "mode", before: null, after: "0700" },
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["mkdir /srv/a", "mkdir /srv/a/b", "mkdir /srv/a/b/private"]);
  assert.equal(exec.stat("/srv/a")?.mode, 0o755);
  assert.equal(exec.stat("/srv/a/b/private")?.mode, 0o700);
  assert.equal(exec.stat("/srv/a/b/private")?.uid, 33);
});

Deno.test("directory reports nothing when it exists with the wanted attributes", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined, { mode: 0o750, gid: 33 });
  assert.deepEqual(
    await changesOf(spec({ path: "/srv", mode: "0750", group: "www-data" }), exec),
    [],
  );
  assert.deepEqual(await changesOf(spec({ path: "/srv" }), exec), []);
});

Deno.test("directory changes only the mode with chmod when only the mode differs", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined, { mode: 0o755 });
  const { changes, outcome } = await converge(spec({ path: "/srv", mode: "2775" }), exec);
  assert.deepEqual(changes, [{ field: "mode", before: "0755", after: "2775" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["chmod /srv 2775"]);
});

Deno.test("directory fails naming a file in the way and changes nothing", async () => {
  const exec = new RecordingExecutor().put("/srv", "I am a file");
  const { changes, outcome } = await converge(spec({ path: "/srv" }), exec);
  assert.deepEqual(changes, [{
    field: "state",
    before: "file",
    after: "directory",
    note: "a file is in the way: cm will not replace it",
    blocked: true,
  }]);
  assert.deepEqual(outcome, {
    ok: false,
    error: '"/srv" is a file, not a directory: remove it or change the path',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("directory apply fails naming an unknown group", async () => {
  const exec = new RecordingExecutor();
  const { outcome } = await converge(spec({ path: "/srv", group: "ghosts" }), exec);
  assert.deepEqual(outcome, { ok: false, error: 'group "ghosts" does not exist' });
  assert.deepEqual(exec.writes, []);
});

Deno.test("directory on a real file system creates parents 0755 whatever the umask, then finds nothing to change", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-directory-test-" });
  // An admin's umask 077 must not make the parents of a 0755 leaf untraversable.
  const umask = Deno.umask(0o077);
  try {
    const exec = new RealExecutor();
    const s = spec({ path: `${dir}/a/b/c`, mode: "0700", owner: "nobody", group: "nogroup" });
    const { outcome } = await converge(s, exec);
    assert.deepEqual(outcome, { ok: true });
    const leaf = Deno.statSync(s.path);
    assert.ok(leaf.isDirectory);
    assert.deepEqual([leaf.mode! & 0o7777, leaf.uid, leaf.gid], [0o700, 65534, 65534]);
    const parent = Deno.statSync(`${dir}/a/b`);
    assert.deepEqual([parent.mode! & 0o7777, parent.uid], [0o755, 0]);
    assert.deepEqual(await changesOf(s, exec), []);
  } finally {
    Deno.umask(umask);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("directory on a real file system changes owner and mode of an existing directory in place", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-directory-test-" });
  try {
    const exec = new RealExecutor();
    Deno.mkdirSync(`${dir}/d`);
    Deno.chmodSync(`${dir}/d`, 0o755);
    Deno.writeTextFileSync(`${dir}/d/keep`, "k");
    const inode = Deno.statSync(`${dir}/d`).ino;
    const s = spec({ path: `${dir}/d`, mode: "0750", owner: "nobody" });
    const { changes, outcome } = await converge(s, exec);
    assert.deepEqual(changes, [
      { field: "owner", before: "root", after: "nobody" },
      { field: "mode", before: "0755", after: "0750" },
    ]);
    assert.deepEqual(outcome, { ok: true });
    const info = Deno.statSync(`${dir}/d`);
    assert.deepEqual([info.ino, info.uid, info.mode! & 0o7777], [inode, 65534, 0o750]);
    assert.equal(Deno.readTextFileSync(`${dir}/d/keep`), "k");
    assert.deepEqual(await changesOf(s, exec), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("directory on a real file system refuses a symbolic link to a directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cm-directory-test-" });
  try {
    Deno.mkdirSync(`${dir}/real`);
    Deno.symlinkSync(`${dir}/real`, `${dir}/link`);
    const { outcome } = await converge(spec({ path: `${dir}/link` }), new RealExecutor());
    assert.equal(outcome.ok, false);
    assert.match((outcome as { error: string }).error, /is a symbolic link, not a directory/);
    assert.ok(Deno.lstatSync(`${dir}/link`).isSymlink);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("directory under another user's link into root's directories is refused by plan and apply", async () => {
  const exec = new RecordingExecutor().put("/home").put("/etc")
    .put("/home/alice", undefined, { uid: 1000 })
    .put("/home/alice/www", "/etc", { kind: "symlink", uid: 1000 });
  const wanted = spec({ path: "/home/alice/www/conf.d" });
  const [state] = await directory.read([wanted], exec, testContext("plan"));
  const changes = directory.diff(wanted, state);
  const refused = 'cannot manage "/home/alice/www/conf.d": unsafe path transition from ' +
    '"/home/alice/www" (owned by 1000) to "/etc" (owned by root)';
  assert.deepEqual(changes, [
    { field: "state", before: null, after: "present", note: refused, blocked: true },
  ]);
  const [outcome] = await directory.apply([{ spec: wanted, changes }], exec, testContext());
  assert.deepEqual(outcome, { ok: false, error: refused });
  assert.deepEqual(exec.writes, []);
});

function oldTree(): RecordingExecutor {
  return new RecordingExecutor().put("/srv").put("/srv/old").put("/srv/old/sub")
    .put("/srv/old/sub/a.txt", "abc").put("/srv/old/link", "/etc", { kind: "symlink" });
}

Deno.test("state: absent removes an empty directory with rmdir and finds nothing left to do", async () => {
  const exec = new RecordingExecutor().put("/srv").put("/srv/old");
  const s = spec({ path: "/srv/old", state: "absent" });
  const { changes, outcome } = await converge(s, exec);
  assert.deepEqual(changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["remove /srv/old"]);
  assert.deepEqual(await changesOf(s, exec), []);
});

Deno.test("state: absent of a directory that is not empty fails the plan without force, naming the field", async () => {
  const exec = oldTree();
  const { changes, outcome } = await converge(spec({ path: "/srv/old", state: "absent" }), exec);
  assert.deepEqual(changes, [{
    field: "state",
    before: "present",
    after: "absent",
    note: 'force: "/srv/old" holds 2 files and 1 directory (3 B): ' +
      "set force: true to remove it with everything in it",
    blocked: true,
  }]);
  assert.deepEqual(outcome, {
    ok: false,
    error: '"/srv/old" is not empty: set force: true to remove it with everything in it',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("state: absent with force removes the tree through removeTree", async () => {
  const exec = oldTree();
  const s = spec({ path: "/srv/old", state: "absent", force: true });
  const { changes, outcome } = await converge(s, exec);
  assert.deepEqual(changes, [
    {
      field: "state",
      before: "present",
      after: "absent",
      note: "removes 2 files and 1 directory (3 B)",
    },
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["removeTree /srv/old"]);
  assert.equal(exec.stat("/srv/old/sub/a.txt"), null);
  assert.ok(exec.stat("/srv"));
});

Deno.test("state: absent leaves a file or link at the path alone, and a top-level directory reached through a link", async () => {
  const exec = new RecordingExecutor().put("/srv").put("/srv/old", "x")
    .put("/srv/root", "/", { kind: "symlink" }).put("/opt").put("/opt/x", "x");
  const [blocked] = await changesOf(spec({ path: "/srv/old", state: "absent" }), exec);
  assert.equal(blocked.blocked, true);
  assert.equal(
    blocked.note,
    "a file is at the path: state: absent of a directory removes only a directory",
  );
  const { outcome } = await converge(
    spec({ path: "/srv/root/opt", state: "absent", force: true }),
    exec,
  );
  assert.deepEqual(outcome, {
    ok: false,
    error: 'refusing to remove "/opt" whole: / or a top-level directory',
  });
  assert.deepEqual(exec.writes, []);
  assert.deepEqual(await changesOf(spec({ path: "/srv/gone", state: "absent" }), exec), []);
});

Deno.test("directory check refuses owner, group or mode with state: absent, force without it, and a top-level path", () => {
  const problems = (fields: Record<string, unknown>) => directory.check!(spec(fields));
  assert.deepEqual(problems({ path: "/srv/x", state: "absent", mode: "0755" }), [{
    field: "mode",
    message: "expected no mode with state: absent (the directory is removed)",
    got: "0755",
  }]);
  assert.deepEqual(problems({ path: "/srv/x", force: true }), [
    { field: "force", message: "expected force: true only with state: absent" },
  ]);
  assert.deepEqual(problems({ path: "/home", state: "absent", force: true }), [{
    field: "path",
    message: "expected a path below a top-level directory with state: absent",
    got: "/home",
  }]);
  assert.deepEqual(problems({ path: "/srv/x", state: "absent", force: true }), []);
});

Deno.test("state: absent with force on a real file system: links removed not followed, the snapshot puts the tree back", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const outside = `${dir.path}/outside`;
  Deno.mkdirSync(outside);
  Deno.writeTextFileSync(`${outside}/keep`, "keep");
  const tree = `${dir.path}/tree`;
  Deno.mkdirSync(`${tree}/conf.d`, { recursive: true });
  Deno.chmodSync(`${tree}/conf.d`, 0o750);
  Deno.writeTextFileSync(`${tree}/conf.d/app.conf`, "listen 80\n", { mode: 0o640 });
  Deno.chmodSync(`${tree}/conf.d/app.conf`, 0o640);
  Deno.symlinkSync(outside, `${tree}/data`);
  const s = spec({ path: tree, state: "absent", force: true });
  const [current] = await directory.read([s], exec, testContext());
  const store = snapshotStore(exec, `${dir.path}/snapshots`);
  const before = await directory.snapshot!(s, current, store);
  const [outcome] = await directory.apply(
    [{ spec: s, changes: directory.diff(s, current) }],
    exec,
    testContext(),
  );
  assert.deepEqual(outcome, { ok: true });
  assert.equal(exec.stat(tree), null);
  assert.equal(Deno.readTextFileSync(`${outside}/keep`), "keep");
  assert.deepEqual(await directory.restore!(before, exec, store, testContext()), { ok: true });
  assert.equal(Deno.readTextFileSync(`${tree}/conf.d/app.conf`), "listen 80\n");
  assert.equal(Deno.statSync(`${tree}/conf.d/app.conf`).mode! & 0o7777, 0o640);
  assert.equal(Deno.statSync(`${tree}/conf.d`).mode! & 0o7777, 0o750);
  assert.equal(Deno.readLinkSync(`${tree}/data`), outside);
  assert.deepEqual(await changesOf(spec({ path: tree, state: "absent" }), exec), [{
    field: "state",
    before: "present",
    after: "absent",
    note: `force: "${tree}" holds 2 files and 1 directory (10 B): ` +
      "set force: true to remove it with everything in it",
    blocked: true,
  }]);
});

Deno.test("state: absent with force removes a tree holding a FIFO; the plan says a rollback does not bring it back", async () => {
  await using dir = await tempDir();
  const exec = new RealExecutor();
  const tree = `${dir.path}/tree`;
  Deno.mkdirSync(tree);
  Deno.writeTextFileSync(`${tree}/app.conf`, "x\n");
  assert.equal((await new Deno.Command("mkfifo", { args: [`${tree}/pipe`] }).output()).code, 0);
  const s = spec({ path: tree, state: "absent", force: true });
  const [current] = await directory.read([s], exec, testContext());
  assert.deepEqual(directory.diff(s, current), [{
    field: "state",
    before: "present",
    after: "absent",
    note: `removes 2 files and 0 directories (2 B); a rollback does not bring back ` +
      `"${tree}/pipe" (a socket, FIFO or device)`,
  }]);
  const store = snapshotStore(exec, `${dir.path}/snapshots`);
  const before = await directory.snapshot!(s, current, store);
  const changes = directory.diff(s, current);
  assert.deepEqual(await directory.apply([{ spec: s, changes }], exec, testContext()), [{
    ok: true,
  }]);
  assert.equal(exec.stat(tree), null);
  assert.deepEqual(await directory.restore!(before, exec, store, testContext()), { ok: true });
  assert.deepEqual([...Deno.readDirSync(tree)].map((e) => e.name), ["app.conf"]);
});

Deno.test("a tree over the snapshot limit is recorded as its directory alone, and the plan says so", async () => {
  const exec = oldTree();
  const s = spec({ path: "/srv/old", state: "absent", force: true });
  const [current] = await directory.read([s], exec, testContext("plan"));
  current.tree = walkTree("/srv/old", exec, { entries: 1, bytes: 1 << 20 });
  assert.match(
    directory.diff(s, current)[0].note!,
    /^removes more than 1 file and 1 directory \(0 B\); over the 10,000 entries or 64\.0 MiB a snapshot keeps: a rollback brings back the empty directory only$/,
  );
  const store = snapshotStore(exec, "/state/snapshots");
  const before = await directory.snapshot!(s, current, store);
  assert.equal(before.type, "directory");
});

Deno.test("directory tells a plan the real path and the mode it will set; nothing for state: absent", () => {
  const exec = new RecordingExecutor().put("/srv").put("/srv/open", undefined, { mode: 0o777 })
    .put("/var").put("/var/www", "/srv", { kind: "symlink" });
  assert.deepEqual(directory.planned!(spec({ path: "/var/www/open", mode: "0755" }), exec), {
    path: "/srv/open",
    owner: undefined,
    group: undefined,
    mode: 0o755,
  });
  assert.equal(directory.planned!(spec({ path: "/srv/open", state: "absent" }), exec), undefined);
});
