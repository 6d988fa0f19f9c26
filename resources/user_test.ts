import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { user, userArgv, userRestoreArgv, type UserSpec } from "./user.ts";
import { schema as userSchema } from "./user_schema.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import type { UserBefore } from "./snapshot.ts";

function spec(fields: Record<string, unknown>): UserSpec {
  return userSchema.parse(fields);
}

const PASSWD = "root:x:0:0:root:/root:/bin/bash\n" +
  "app:x:1001:1001:App,,,:/srv/app:/bin/sh\n";
const GROUP = "root:x:0:\napp:x:1001:\nwww-data:x:33:app\nadm:x:4:app\nssl-cert:x:111:\n";

function machine(): RecordingExecutor {
  return new RecordingExecutor().put("/etc/passwd", PASSWD).put("/etc/group", GROUP);
}

Deno.test("user id, claims and check", () => {
  assert.equal(user.id(spec({ name: "app" })), "user[app]");
  assert.deepEqual(user.claims!(spec({ name: "app", uid: 1001 })), ["user:app", "uid:1001"]);
  assert.deepEqual(user.check!(spec({ name: "app", append: true })), [
    { field: "append", message: "expected groups: with append: true" },
  ]);
  assert.deepEqual(user.check!(spec({ name: "app", append: true, groups: ["adm"] })), []);
});

Deno.test("user schema refuses a leading dash, relative paths and colons in the comment", () => {
  for (const bad of [{ name: "-o" }, { home: "srv/app" }, { shell: "bash" }, { comment: "a:b" }]) {
    assert.equal(userSchema.safeParse({ name: "app", ...bad }).success, false, JSON.stringify(bad));
  }
});

Deno.test("user creates a missing user with every given field and the home by default", async () => {
  const exec = machine();
  const s = spec({
    name: "deploy",
    uid: 1500,
    group: "www-data",
    groups: ["adm", "ssl-cert"],
    home: "/srv/deploy",
    shell: "/bin/bash",
    comment: "Deploy",
  });
  const { changes, outcome } = await convergeOne(user, s, exec);
  assert.deepEqual(changes, [{ field: "state", before: "absent", after: "present" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [[
    "useradd",
    "--uid",
    "1500",
    "--gid",
    "www-data",
    "--groups",
    "adm,ssl-cert",
    "--shell",
    "/bin/bash",
    "--comment",
    "Deploy",
    "--home-dir",
    "/srv/deploy",
    "--create-home",
    "--",
    "deploy",
  ]]);
});

Deno.test("a system user gets no home directory unless asked", () => {
  const created = [{ field: "state", before: "absent", after: "present" }];
  assert.deepEqual(userArgv(spec({ name: "svc", system: true }), created, []), [
    "useradd",
    "--system",
    "--no-create-home",
    "--",
    "svc",
  ]);
  assert.deepEqual(
    userArgv(spec({ name: "svc", system: true, create_home: true }), created, []).at(-3),
    "--create-home",
  );
});

Deno.test("user finds nothing to do when the entry matches, groups compared as sets", async () => {
  const s = spec({
    name: "app",
    uid: 1001,
    group: "app",
    groups: ["www-data", "adm"],
    home: "/srv/app",
    shell: "/bin/sh",
    comment: "App,,,",
  });
  assert.deepEqual(await planOne(user, s, machine()), []);
  assert.deepEqual(
    await planOne(user, spec({ name: "app", groups: ["adm"], append: true }), machine()),
    [],
  );
});

Deno.test("user modifies only the changed fields with usermod", async () => {
  const exec = machine();
  const s = spec({ name: "app", shell: "/usr/sbin/nologin", home: "/home/app", groups: ["adm"] });
  const { changes, outcome } = await convergeOne(user, s, exec);
  assert.deepEqual(changes, [
    { field: "groups", before: ["adm", "www-data"], after: ["adm"] },
    { field: "home", before: "/srv/app", after: "/home/app" },
    { field: "shell", before: "/bin/sh", after: "/usr/sbin/nologin" },
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [[
    "usermod",
    "--groups",
    "adm",
    "--shell",
    "/usr/sbin/nologin",
    "--home",
    "/home/app",
    "--move-home",
    "--",
    "app",
  ]]);
});

Deno.test("user moves its home only into a directory that is not there yet (usermod refuses, half done)", async () => {
  // The home was changed by hand and /home/app exists: `--move-home` made usermod exit 12 after
  // it had already rewritten /etc/passwd, so the run failed and the next one saw nothing to do.
  const exec = machine().put("/home", undefined).put("/home/app", undefined);
  const { outcome } = await convergeOne(user, spec({ name: "app", home: "/home/app" }), exec);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["usermod", "--home", "/home/app", "--", "app"]]);
});

Deno.test("user with append adds only the missing groups", async () => {
  const exec = machine();
  const { changes } = await convergeOne(
    user,
    spec({ name: "app", groups: ["ssl-cert", "adm"], append: true }),
    exec,
  );
  assert.deepEqual(changes, [
    { field: "groups", before: ["adm", "www-data"], after: ["adm", "ssl-cert", "www-data"] },
  ]);
  assert.deepEqual(exec.calls, [["usermod", "--append", "--groups", "ssl-cert", "--", "app"]]);
});

Deno.test("user state absent deletes with userdel, and reports the tool's refusal", async () => {
  const exec = machine().on(["userdel"], {
    code: 8,
    stderr: "userdel: user app is currently used by process 42\n",
  });
  const { changes, outcome } = await convergeOne(
    user,
    spec({ name: "app", state: "absent" }),
    exec,
  );
  assert.deepEqual(changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(outcome, {
    ok: false,
    error: "userdel exited 8: userdel: user app is currently used by process 42",
  });
  assert.deepEqual(exec.calls, [["userdel", "--", "app"]]);
  assert.deepEqual(await planOne(user, spec({ name: "ghost", state: "absent" }), exec), []);
});

const NO_STORE = { capture: () => Promise.reject(new Error("no paths")), content: () => null };

/** A snapshot store that sees only the directories in `present`. */
function storeWith(...present: string[]) {
  return {
    capture: (path: string) =>
      Promise.resolve(
        present.includes(path)
          ? {
            type: "directory" as const,
            path,
            state: "present" as const,
            owner: "root",
            group: "root",
            mode: "0755",
          }
          : { type: "directory" as const, path, state: "absent" as const },
      ),
    content: () => null,
  };
}

/** The record `user` takes of `name` on `exec` before a run changes it. */
async function snapshotOf(name: string, exec: RecordingExecutor, fields = {}, store = storeWith()) {
  const s = spec({ name, ...fields });
  const [state] = await user.read([s], exec, testContext());
  return await user.snapshot!(s, state, store);
}

async function restoreOn(before: UserBefore, passwd: string, group = GROUP, dirs: string[] = []) {
  const exec = new RecordingExecutor().put("/etc/passwd", passwd).put("/etc/group", group);
  for (const dir of dirs) exec.put(dir);
  const outcome = await user.restore!(before, exec, NO_STORE, testContext());
  return { outcome, calls: exec.calls };
}

const APP: UserBefore = {
  type: "user",
  name: "app",
  existed: true,
  uid: 1001,
  group: "app",
  groups: ["adm", "www-data"],
  gid: 1001,
  home: "/srv/app",
  shell: "/bin/sh",
  comment: "App,,,",
};

Deno.test("user snapshot records the fields cm manages, or no user and the home useradd will make", async () => {
  assert.deepEqual(await snapshotOf("app", machine()), APP);
  assert.deepEqual(await snapshotOf("deploy", machine()), {
    type: "user",
    name: "deploy",
    existed: false,
    newHome: "/home/deploy",
  });
  assert.deepEqual(await snapshotOf("deploy", machine(), { home: "/srv/deploy" }), {
    type: "user",
    name: "deploy",
    existed: false,
    newHome: "/srv/deploy",
  });
  // A home directory that was there before the run is not the run's to remove.
  assert.deepEqual(await snapshotOf("deploy", machine(), {}, storeWith("/home/deploy")), {
    type: "user",
    name: "deploy",
    existed: false,
  });
});

Deno.test("user restore removes the home directory the run created with the user, only that one", async () => {
  const created: UserBefore = {
    type: "user",
    name: "deploy",
    existed: false,
    newHome: "/home/deploy",
  };
  const passwd = PASSWD + "deploy:x:1500:33::/home/deploy:/bin/bash\n";
  assert.deepEqual(await restoreOn(created, passwd, GROUP, ["/home/deploy"]), {
    outcome: { ok: true },
    calls: [["userdel", "--remove", "--", "deploy"]],
  });
  // No directory there (create_home: false), or the user's home is elsewhere now: plain userdel.
  assert.deepEqual((await restoreOn(created, passwd)).calls, [["userdel", "--", "deploy"]]);
  const moved = PASSWD + "deploy:x:1500:33::/srv/other:/bin/bash\n";
  assert.deepEqual((await restoreOn(created, moved, GROUP, ["/srv/other"])).calls, [
    ["userdel", "--", "deploy"],
  ]);
});

Deno.test("user restore deletes a user the run created and never one that existed", async () => {
  const created: UserBefore = { type: "user", name: "deploy", existed: false };
  assert.deepEqual(await restoreOn(created, PASSWD + "deploy:x:1500:33::/srv/deploy:/bin/bash\n"), {
    outcome: { ok: true },
    calls: [["userdel", "--", "deploy"]],
  });
  assert.deepEqual(await restoreOn(created, PASSWD), { outcome: { ok: true }, calls: [] });
  assert.deepEqual(await restoreOn(APP, PASSWD), { outcome: { ok: true }, calls: [] });
});

Deno.test("user restore puts only the changed fields back with usermod", async () => {
  const changed = "app:x:1001:33:App,,,:/srv/new:/bin/bash\n";
  const groups = "app:x:1001:\nwww-data:x:33:\nadm:x:4:app\nssl-cert:x:111:app\n";
  assert.deepEqual(await restoreOn(APP, changed, groups), {
    outcome: { ok: true },
    calls: [[
      "usermod",
      "--gid",
      "app",
      "--groups",
      "adm,www-data",
      "--home",
      "/srv/app",
      "--shell",
      "/bin/sh",
      "--",
      "app",
    ]],
  });
  const none = { ...APP, groups: [] };
  const gone = { entry: null, group: null, groups: [] };
  assert.deepEqual(userRestoreArgv(none, gone, { groupExists: true }), [[
    "useradd",
    "--uid",
    "1001",
    "--gid",
    "app",
    "--home-dir",
    "/srv/app",
    "--shell",
    "/bin/sh",
    "--comment",
    "App,,,",
    "--no-create-home",
    "--",
    "app",
  ]]);
  // userdel took the user's own group along (USERGROUPS_ENAB): it comes back first, with its gid.
  const [groupadd, useradd] = userRestoreArgv(none, gone, { groupExists: false });
  assert.deepEqual(groupadd, ["groupadd", "--gid", "1001", "--", "app"]);
  assert.equal(useradd[0], "useradd");
  // A snapshot without the gid (older cm), or a group known only by number: useradd alone.
  assert.equal(userRestoreArgv({ ...none, gid: undefined }, gone).length, 1);
  assert.equal(userRestoreArgv({ ...none, group: "1001" }, gone).length, 1);
});

Deno.test("user restore adds back a user the run deleted, with its groups; fails on another record", async () => {
  const { calls } = await restoreOn(APP, "root:x:0:0:root:/root:/bin/bash\n");
  assert.deepEqual(calls[0].slice(0, 6), ["useradd", "--uid", "1001", "--gid", "app", "--groups"]);
  assert.equal(calls[0][6], "adm,www-data");
  const group = { type: "group" as const, name: "app", existed: false as const };
  assert.deepEqual(await user.restore!(group, machine(), NO_STORE, testContext()), {
    ok: false,
    error: "a group record is not a user",
  });
});

Deno.test("a new user without group joins its namesake group as primary: useradd refuses to make it", async () => {
  const exec = machine().put("/etc/group", GROUP + "deploy:x:1600:\n");
  const { outcome } = await convergeOne(user, spec({ name: "deploy" }), exec);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.calls, [["useradd", "--gid", "deploy", "--create-home", "--", "deploy"]]);
  // No namesake: useradd makes one (USERGROUPS_ENAB); a group given wins.
  assert.deepEqual(userArgv(spec({ name: "deploy" }), CREATED, []), [
    "useradd",
    "--create-home",
    "--",
    "deploy",
  ]);
  assert.deepEqual(
    userArgv(spec({ name: "deploy", group: "adm" }), CREATED, [], { namesakeGroup: true })
      .slice(1, 3),
    ["--gid", "adm"],
  );
});

const CREATED = [{ field: "state", before: "absent", after: "present" }];

Deno.test("user plan fails a group nothing in the run makes, and a uid another user has", async () => {
  const plan = async (fields: Record<string, unknown>, claims: Record<string, string> = {}) => {
    const s = spec(fields);
    const [state] = await user.read([s], machine(), testContext("plan", [], claims));
    return user.diff(s, state);
  };
  assert.deepEqual(await plan({ name: "deploy", group: "wwwdata" }), [{
    ...CREATED[0],
    note: 'group "wwwdata" does not exist: did you mean "www-data"?',
    blocked: true,
  }]);
  assert.deepEqual(await plan({ name: "deploy", groups: ["adm", "docker"] }), [{
    ...CREATED[0],
    note: 'group "docker" does not exist',
    blocked: true,
  }]);
  assert.deepEqual(await plan({ name: "deploy", uid: 1001 }), [{
    ...CREATED[0],
    note: 'uid 1001 is taken by user "app"',
    blocked: true,
  }]);
  assert.deepEqual(await plan({ name: "app", groups: ["docker"] }), [{
    field: "groups",
    before: ["adm", "www-data"],
    after: ["docker"],
    note: 'group "docker" does not exist',
    blocked: true,
  }]);
  // A user naming its own group needs a group resource for it: useradd --gid makes none.
  assert.deepEqual(await plan({ name: "deploy", group: "deploy" }, { "user:deploy": "user" }), [{
    ...CREATED[0],
    note: 'group "deploy" does not exist',
    blocked: true,
  }]);
  // A group the run declares (or another user of the run makes, as its user group), or a user
  // the run manages holding the uid: not blocked.
  assert.deepEqual(
    await plan({ name: "deploy", groups: ["web"] }, { "user:web": "user" }),
    CREATED,
  );
  assert.deepEqual(
    await plan({ name: "deploy", groups: ["docker"] }, { "group:docker": "group" }),
    [
      CREATED[0],
    ],
  );
  assert.deepEqual(await plan({ name: "deploy", uid: 1001 }, { "user:app": "user" }), CREATED);
});

Deno.test("user restore of a user the run created puts back the namesake group userdel took along", async () => {
  const created: UserBefore = {
    type: "user",
    name: "deploy",
    existed: false,
    namesakeGroup: { gid: 1600, members: ["app"] },
  };
  const exec = new RecordingExecutor()
    .put("/etc/passwd", PASSWD + "deploy:x:1500:1600::/srv/deploy:/bin/bash\n")
    .put("/etc/group", GROUP + "deploy:x:1600:app\n")
    .on(["userdel"], () => {
      exec.put("/etc/passwd", PASSWD).put("/etc/group", GROUP);
      return {};
    });
  assert.deepEqual(await user.restore!(created, exec, NO_STORE, testContext()), { ok: true });
  assert.deepEqual(exec.calls, [
    ["userdel", "--", "deploy"],
    ["groupadd", "--gid", "1600", "--", "deploy"],
    ["gpasswd", "--members", "app", "--", "deploy"],
  ]);
  // The snapshot records it.
  const [state] = await user.read(
    [spec({ name: "deploy" })],
    machine().put("/etc/group", GROUP + "deploy:x:1600:app\n"),
    testContext(),
  );
  assert.deepEqual(
    (await user.snapshot!(spec({ name: "deploy" }), state, storeWith("/home/deploy")) as {
      namesakeGroup?: unknown;
    })
      .namesakeGroup,
    { gid: 1600, members: ["app"] },
  );
});

Deno.test("user state absent keeps its namesake group when the run declares it, and only then", async () => {
  const remove = async (claims: Record<string, string>) => {
    const exec = machine()
      .on(["userdel"], () => {
        exec.put("/etc/group", GROUP.replace("app:x:1001:\n", "").replaceAll(":app", ":"));
        return {};
      });
    const { outcome } = await convergeOne(
      user,
      spec({ name: "app", state: "absent" }),
      exec,
      testContext("apply", [], claims),
    );
    assert.deepEqual(outcome, { ok: true });
    return exec.calls;
  };
  assert.deepEqual(await remove({ "group:app": "group" }), [
    ["userdel", "--", "app"],
    ["groupadd", "--gid", "1001", "--", "app"],
  ]);
  assert.deepEqual(await remove({}), [["userdel", "--", "app"]]);
});

Deno.test("user plan says a home directory that is there already is taken as it is, and fails a file there", async () => {
  const exec = machine().put("/srv/h", undefined).put("/srv/f", "x");
  const noted = (path: string) =>
    `home "${path}" is there already (owner root): taken as it is, nothing copied into it`;
  assert.deepEqual(await planOne(user, spec({ name: "hh", home: "/srv/h" }), exec), [
    { ...CREATED[0], note: noted("/srv/h") },
  ]);
  assert.deepEqual(await planOne(user, spec({ name: "app", home: "/srv/h" }), exec), [
    { field: "home", before: "/srv/app", after: "/srv/h", note: noted("/srv/h") },
  ]);
  const inTheWay = 'a file is in the way of home "/srv/f"';
  const { changes, outcome } = await convergeOne(user, spec({ name: "hh", home: "/srv/f" }), exec);
  assert.deepEqual(changes, [{ ...CREATED[0], note: inTheWay, blocked: true }]);
  assert.deepEqual(outcome, { ok: false, error: inTheWay });
  assert.deepEqual(exec.calls, [], "useradd would take the file as the home");
  // No home to make: nothing to say.
  assert.deepEqual(
    await planOne(user, spec({ name: "hh", home: "/srv/h", create_home: false }), exec),
    CREATED,
  );
});
