import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { group, type GroupSpec } from "./group.ts";
import { schema as groupSchema } from "./group_schema.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import type { GroupBefore } from "./snapshot.ts";

function spec(fields: Record<string, unknown>): GroupSpec {
  return groupSchema.parse(fields);
}

function machine(): RecordingExecutor {
  return new RecordingExecutor().put("/etc/group", "root:x:0:\nwww-data:x:33:\napp:x:1001:alice\n");
}

Deno.test("group id and claims name the group and its gid", () => {
  assert.equal(group.id(spec({ name: "app" })), "group[app]");
  assert.deepEqual(group.claims!(spec({ name: "app", gid: 1001 })), ["group:app", "gid:1001"]);
});

Deno.test("group schema refuses names that would be options or that groupadd refuses", () => {
  for (const name of ["-g", "App", "1app", "a".repeat(33), "a:b"]) {
    assert.equal(groupSchema.safeParse({ name }).success, false, name);
  }
  assert.equal(groupSchema.safeParse({ name: "app", gid: -1 }).success, false);
  assert.equal(groupSchema.safeParse({ name: "app$" }).success, true);
});

Deno.test("group creates a missing system group with its gid, then finds nothing to do", async () => {
  const exec = machine().on(["groupadd"], () => {
    exec.put("/etc/group", "root:x:0:\ndeploy:x:990:\n");
    return {};
  });
  const s = spec({ name: "deploy", gid: 990, system: true });
  const { changes, outcome } = await convergeOne(group, s, exec);
  assert.deepEqual(changes, [{ field: "state", before: "absent", after: "present" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["groupadd", "--system", "--gid", "990", "--", "deploy"]]);
  assert.deepEqual(await planOne(group, s, exec), []);
});

Deno.test("group changes the gid with groupmod and deletes with groupdel", async () => {
  const exec = machine();
  const moved = await convergeOne(group, spec({ name: "app", gid: 2000 }), exec);
  assert.deepEqual(moved.changes, [{ field: "gid", before: 1001, after: 2000 }]);
  const gone = await convergeOne(group, spec({ name: "www-data", state: "absent" }), exec);
  assert.deepEqual(gone.changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(exec.calls, [
    ["groupmod", "--gid", "2000", "--", "app"],
    ["groupdel", "--", "www-data"],
  ]);
  assert.deepEqual(await planOne(group, spec({ name: "ghost", state: "absent" }), exec), []);
  assert.deepEqual(await planOne(group, spec({ name: "app" }), exec), []);
});

Deno.test("group fails with the tool's message", async () => {
  const exec = machine().on(["groupdel"], {
    code: 8,
    stderr: "groupdel: cannot remove the primary group of user 'app'\n",
  });
  const { outcome } = await convergeOne(group, spec({ name: "app", state: "absent" }), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: "groupdel exited 8: groupdel: cannot remove the primary group of user 'app'",
  });
});

const NO_STORE = { capture: () => Promise.reject(new Error("no paths")), content: () => null };

/** The record `group` takes of `name` on `exec` before a run changes it. */
async function snapshotOf(name: string, exec: RecordingExecutor) {
  const s = spec({ name });
  const [state] = await group.read([s], exec, testContext());
  return await group.snapshot!(s, state, NO_STORE);
}

async function restoreOn(
  before: GroupBefore,
  groupFile: string,
  passwd = "root:x:0:0::/root:/bin/sh\n",
) {
  const exec = new RecordingExecutor().put("/etc/group", groupFile).put("/etc/passwd", passwd);
  const outcome = await group.restore!(before, exec, NO_STORE, testContext());
  return { outcome, calls: exec.calls };
}

Deno.test("group snapshot records the gid, or that there was no group", async () => {
  assert.deepEqual(await snapshotOf("app", machine()), {
    type: "group",
    name: "app",
    existed: true,
    gid: 1001,
    members: ["alice"],
  });
  assert.deepEqual(await snapshotOf("deploy", machine()), {
    type: "group",
    name: "deploy",
    existed: false,
  });
});

Deno.test("group restore deletes a group the run created and never one that existed", async () => {
  const created: GroupBefore = { type: "group", name: "deploy", existed: false };
  assert.deepEqual(await restoreOn(created, "root:x:0:\ndeploy:x:990:\n"), {
    outcome: { ok: true },
    calls: [["groupdel", "--", "deploy"]],
  });
  assert.deepEqual(await restoreOn(created, "root:x:0:\n"), { outcome: { ok: true }, calls: [] });
  const existed: GroupBefore = { type: "group", name: "app", existed: true, gid: 1001 };
  assert.deepEqual(await restoreOn(existed, "app:x:1001:\n"), { outcome: { ok: true }, calls: [] });
});

Deno.test("a deleted group comes back with those of its members that exist", async () => {
  const deleted: GroupBefore = {
    type: "group",
    name: "deploy",
    existed: true,
    gid: 990,
    members: ["app", "gone", "web"],
  };
  const passwd =
    "root:x:0:0::/root:/bin/sh\napp:x:1001:1001::/srv/app:/bin/sh\nweb:x:1002:1002::/srv/web:/bin/sh\n";
  assert.deepEqual(await restoreOn(deleted, "root:x:0:\n", passwd), {
    outcome: { ok: true },
    calls: [
      ["groupadd", "--gid", "990", "--", "deploy"],
      ["gpasswd", "--members", "app,web", "--", "deploy"],
    ],
  });
});

Deno.test("group restore gives back the old gid, or adds back a deleted group", async () => {
  const existed: GroupBefore = { type: "group", name: "app", existed: true, gid: 1001 };
  assert.deepEqual(await restoreOn(existed, "app:x:2000:\n"), {
    outcome: { ok: true },
    calls: [["groupmod", "--gid", "1001", "--", "app"]],
  });
  assert.deepEqual(await restoreOn(existed, "root:x:0:\n"), {
    outcome: { ok: true },
    calls: [["groupadd", "--gid", "1001", "--", "app"]],
  });
  const user = { type: "user" as const, name: "app", existed: false as const };
  assert.deepEqual(await group.restore!(user, machine(), NO_STORE, testContext()), {
    ok: false,
    error: "a user record is not a group",
  });
});

Deno.test("group plan fails a gid another group has, unless the run manages that group", async () => {
  const plan = async (fields: Record<string, unknown>, claims: Record<string, string> = {}) => {
    const s = spec(fields);
    const [state] = await group.read([s], machine(), testContext("plan", [], claims));
    return group.diff(s, state);
  };
  const taken = { note: 'gid 33 is taken by group "www-data"', blocked: true };
  assert.deepEqual(await plan({ name: "deploy", gid: 33 }), [
    { field: "state", before: "absent", after: "present", ...taken },
  ]);
  assert.deepEqual(await plan({ name: "app", gid: 33 }), [
    { field: "gid", before: 1001, after: 33, ...taken },
  ]);
  assert.deepEqual(await plan({ name: "deploy", gid: 33 }, { "group:www-data": "group" }), [
    { field: "state", before: "absent", after: "present" },
  ]);
  assert.deepEqual(await plan({ name: "app", gid: 1001 }), []);
});

Deno.test("group plan fails removing a user's primary group, unless the run manages that user", async () => {
  const exec = machine().put(
    "/etc/passwd",
    "root:x:0:0::/root:/bin/sh\nbob:x:1002:1001::/home/bob:/bin/sh\n",
  );
  const s = spec({ name: "app", state: "absent" });
  const plan = async (claims: Record<string, string>) => {
    const [state] = await group.read([s], exec, testContext("plan", [], claims));
    return group.diff(s, state);
  };
  const removal = { field: "state", before: "present", after: "absent" };
  assert.deepEqual(await plan({}), [{
    ...removal,
    note:
      'group "app" is the primary group of user "bob": groupdel refuses it (remove the user or give it another group first)',
    blocked: true,
  }]);
  assert.deepEqual(await plan({ "user:bob": "user" }), [removal]);
  assert.deepEqual(await planOne(group, spec({ name: "www-data", state: "absent" }), exec), [
    removal,
  ]);
});
