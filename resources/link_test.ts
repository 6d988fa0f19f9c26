import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { tempDir } from "../src/_testing.ts";
import { link, type LinkSpec } from "./link.ts";
import { schema as linkSchema } from "./link_schema.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import { snapshotStore } from "../src/state/snapshots.ts";

function spec(fields: Record<string, unknown>): LinkSpec {
  return linkSchema.parse(fields);
}

Deno.test("link id names the path and it claims the path", () => {
  const s = spec({ path: "/srv/app/current", target: "releases/2" });
  assert.equal(link.id(s), "link[/srv/app/current]");
  assert.deepEqual(link.claims!(s), ["path:/srv/app/current"]);
});

Deno.test("link check wants a target when present and none when absent", () => {
  assert.deepEqual(link.check!(spec({ path: "/a" })), [
    { field: "target", message: "expected a target for a link (or state: absent)" },
  ]);
  assert.deepEqual(link.check!(spec({ path: "/a", target: "/b", state: "absent" })), [
    {
      field: "target",
      message: 'expected no target with state: absent (the link is removed), got "/b"',
    },
  ]);
  assert.deepEqual(link.check!(spec({ path: "/a", target: "/b" })), []);
});

Deno.test("link schema refuses a relative path", () => {
  assert.equal(linkSchema.safeParse({ path: "a", target: "/b" }).success, false);
});

Deno.test("link creates a missing link, then finds nothing to do", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined);
  const s = spec({ path: "/srv/current", target: "releases/1" });
  const { changes, outcome } = await convergeOne(link, s, exec);
  assert.deepEqual(changes, [{ field: "target", before: null, after: "releases/1" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["symlink /srv/current -> releases/1"]);
  assert.deepEqual(await planOne(link, s, exec), []);
});

Deno.test("link repoints a link that points elsewhere", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined).putLink("/srv/current", "releases/1");
  const { changes, outcome } = await convergeOne(
    link,
    spec({ path: "/srv/current", target: "releases/2" }),
    exec,
  );
  assert.deepEqual(changes, [{ field: "target", before: "releases/1", after: "releases/2" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["symlink /srv/current -> releases/2"]);
});

Deno.test("link refuses a regular file in the way unless forced", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x.conf", "data");
  const { changes, outcome } = await convergeOne(
    link,
    spec({ path: "/etc/x.conf", target: "/opt/x.conf" }),
    exec,
  );
  assert.deepEqual(changes, [{
    field: "target",
    before: "file",
    after: "/opt/x.conf",
    note: "a file is in the way: cm will not replace it (force: true replaces it)",
    blocked: true,
  }]);
  assert.deepEqual(outcome, {
    ok: false,
    error:
      '"/etc/x.conf" is a file, not a symbolic link: set force: true to replace it, or remove it or change the path',
  });
  assert.deepEqual(exec.writes, []);

  const forced = await convergeOne(
    link,
    spec({ path: "/etc/x.conf", target: "/opt/x.conf", force: true }),
    exec,
  );
  assert.equal(forced.changes[0].note, "force: the file is replaced by the link");
  assert.deepEqual(forced.outcome, { ok: true });
  assert.deepEqual(exec.writes, ["symlink /etc/x.conf -> /opt/x.conf"]);
});

Deno.test("link fails without a parent directory and changes nothing", async () => {
  const exec = new RecordingExecutor();
  const { outcome } = await convergeOne(link, spec({ path: "/srv/a/b", target: "c" }), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: 'parent directory "/srv/a" does not exist: declare it under configure.directories',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("link state absent removes a link, and refuses to remove a file", async () => {
  const exec = new RecordingExecutor().putLink("/srv/current", "x").put("/srv/file", "f");
  const gone = await convergeOne(link, spec({ path: "/srv/current", state: "absent" }), exec);
  assert.deepEqual(gone.changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(exec.writes, ["remove /srv/current"]);
  assert.deepEqual(await planOne(link, spec({ path: "/srv/current", state: "absent" }), exec), []);
  const file = await convergeOne(link, spec({ path: "/srv/file", state: "absent" }), exec);
  assert.equal(file.changes[0].blocked, true);
  assert.deepEqual(file.outcome, {
    ok: false,
    error: '"/srv/file" is a file: state: absent removes only symbolic links',
  });
  assert.deepEqual(exec.writes, ["remove /srv/current"]);
});

Deno.test("link on a real file system: create, repoint, force over an empty directory, refuse a full one", async () => {
  await using dir = await tempDir("cm-link-test-");
  const exec = new RealExecutor();
  const path = `${dir.path}/current`;
  assert.deepEqual((await convergeOne(link, spec({ path, target: "r1" }), exec)).outcome, {
    ok: true,
  });
  assert.equal(Deno.readLinkSync(path), "r1");
  const second = await convergeOne(link, spec({ path, target: "r2" }), exec);
  assert.deepEqual(second.changes, [{ field: "target", before: "r1", after: "r2" }]);
  assert.equal(Deno.readLinkSync(path), "r2");
  assert.deepEqual(await planOne(link, spec({ path, target: "r2" }), exec), []);

  const empty = `${dir.path}/empty`;
  Deno.mkdirSync(empty);
  const forced = await convergeOne(link, spec({ path: empty, target: "r2", force: true }), exec);
  assert.deepEqual(forced.outcome, { ok: true });
  assert.equal(Deno.readLinkSync(empty), "r2");

  const full = `${dir.path}/full`;
  Deno.mkdirSync(full);
  Deno.writeTextFileSync(`${full}/keep`, "k");
  const refused = await convergeOne(link, spec({ path: full, target: "r2", force: true }), exec);
  // The plan already says so: it does not promise a replacement that apply refuses.
  assert.deepEqual(refused.changes, [{
    field: "target",
    before: "directory",
    after: "r2",
    note:
      "a directory that is not empty is in the way: cm will not replace it (force: true replaces only an empty one)",
    blocked: true,
  }]);
  assert.equal(refused.outcome.ok, false);
  assert.match(
    (refused.outcome as { error: string }).error,
    /^cannot replace directory ".*\/full": .* \(only an empty directory is replaced\)$/,
  );
  assert.equal(Deno.readTextFileSync(`${full}/keep`), "k");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), [
    "current",
    "empty",
    "full",
  ]);
});

/** Snapshots `s` as the engine would (read, then snapshot), converges it, and restores the record. */
async function changeAndRollBack(s: LinkSpec, exec: RealExecutor, snapshots: string) {
  const store = snapshotStore(exec, snapshots);
  const [current] = await link.read([s], exec, testContext());
  const before = await link.snapshot!(s, current, store);
  assert.deepEqual((await convergeOne(link, s, exec)).outcome, { ok: true });
  assert.equal(Deno.readLinkSync(s.path), s.target);
  return { before, restored: await link.restore!(before, exec, store, testContext()) };
}

Deno.test("link rollback points the old link back, or removes a link that was not there", async () => {
  await using dir = await tempDir("cm-link-test-");
  const exec = new RealExecutor();
  const path = `${dir.path}/current`;
  Deno.symlinkSync("r1", path);
  const repointed = await changeAndRollBack(spec({ path, target: "r2" }), exec, `${dir.path}/s`);
  assert.deepEqual(repointed.before, { type: "link", path, target: "r1" });
  assert.deepEqual(repointed.restored, { ok: true });
  assert.equal(Deno.readLinkSync(path), "r1");

  const fresh = `${dir.path}/fresh`;
  const created = await changeAndRollBack(
    spec({ path: fresh, target: "r2" }),
    exec,
    `${dir.path}/s`,
  );
  assert.deepEqual(created.before, { type: "file", path: fresh, state: "absent" });
  assert.deepEqual(created.restored, { ok: true });
  assert.throws(() => Deno.lstatSync(fresh), Deno.errors.NotFound);
});

Deno.test("link rollback puts back the file or empty directory force replaced", async () => {
  await using dir = await tempDir("cm-link-test-");
  const exec = new RealExecutor();
  const file = `${dir.path}/x.conf`;
  Deno.writeTextFileSync(file, "port=80\n");
  Deno.chmodSync(file, 0o640);
  const replaced = await changeAndRollBack(
    spec({ path: file, target: "/opt/x.conf", force: true }),
    exec,
    `${dir.path}/s`,
  );
  assert.equal(replaced.before.type, "file");
  assert.deepEqual(replaced.restored, { ok: true });
  assert.equal(Deno.lstatSync(file).isFile, true);
  assert.equal(Deno.readTextFileSync(file), "port=80\n");
  assert.equal(Deno.statSync(file).mode! & 0o7777, 0o640);

  const empty = `${dir.path}/empty`;
  Deno.mkdirSync(empty);
  const emptied = await changeAndRollBack(
    spec({ path: empty, target: "r2", force: true }),
    exec,
    `${dir.path}/s`,
  );
  assert.equal(emptied.before.type, "directory");
  assert.deepEqual(emptied.restored, { ok: true });
  assert.equal(Deno.lstatSync(empty).isDirectory, true);
});

Deno.test("link under another user's link into root's directories is refused by plan and apply", async () => {
  const exec = new RecordingExecutor().put("/home").put("/etc").put("/etc/passwd", "root")
    .putLink("/etc/old", "x")
    .put("/home/alice", undefined, { uid: 1000 })
    .put("/home/alice/bin", "/etc", { kind: "symlink", uid: 1000 });
  const refused = (name: string) =>
    `cannot manage "/home/alice/bin/${name}": unsafe path transition from ` +
    '"/home/alice/bin" (owned by 1000) to "/etc" (owned by root)';
  for (
    const wanted of [
      spec({ path: "/home/alice/bin/passwd", target: "/opt/tool", force: true }),
      spec({ path: "/home/alice/bin/old", state: "absent" }),
    ]
  ) {
    const changes = await planOne(link, wanted, exec);
    const error = refused(wanted.path.slice("/home/alice/bin/".length));
    assert.deepEqual(changes, [
      { field: "target", before: null, after: wanted.target ?? null, note: error, blocked: true },
    ]);
    const [outcome] = await link.apply([{ spec: wanted, changes }], exec, testContext());
    assert.deepEqual(outcome, { ok: false, error });
  }
  assert.deepEqual(exec.writes, []);
});

Deno.test("restore under another user's link into root's directories is refused, nothing written", async () => {
  // Applied when /home/alice/app was a directory; alice then made it a link into /etc.
  const exec = new RecordingExecutor().put("/home").put("/etc").put("/etc/config", "root's")
    .put("/home/alice", undefined, { uid: 1000 })
    .put("/home/alice/app", "/etc", { kind: "symlink", uid: 1000 });
  const store = { capture: () => Promise.reject(new Error("unused")), content: () => null };
  const refused = 'cannot manage "/home/alice/app/config": unsafe path transition from ' +
    '"/home/alice/app" (owned by 1000) to "/etc" (owned by root)';
  const records = [
    { type: "link" as const, path: "/home/alice/app/config", target: "/opt/x" },
    { type: "file" as const, path: "/home/alice/app/config", state: "absent" as const },
  ];
  for (const before of records) {
    assert.deepEqual(await link.restore!(before, exec, store, testContext()), {
      ok: false,
      error: refused,
    });
  }
  assert.deepEqual(exec.writes, []);
});
