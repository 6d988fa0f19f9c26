/**
 * Users and groups in the states a real Debian server leaves them in (one
 * fresh testbed server, real useradd/userdel with Debian's
 * USERGROUPS_ENAB): a group already named like a new user, an account and
 * its group removed together, a user removed while its group stays, and
 * plans that must fail what useradd and groupadd will refuse.
 *
 * @module
 */
import assert from "node:assert/strict";
import { changedFields, cm, cmJson, freshServer } from "./e2e/hello_web.ts";
import type { Server } from "./testbed/mod.ts";
import type { RunReport } from "../src/engine/report.ts";

const COOKBOOK = "/srv/accounts/site.yaml";

async function run(srv: Server, sub: "apply" | "plan", body: string, code = 0) {
  await srv.writeFile(COOKBOOK, `name: accounts\nconfigure:\n${body}`);
  return (await cmJson(srv, sub, [COOKBOOK], code)).report;
}

/** `{id: note}` of the resources a report failed. */
function failures(report: RunReport): Record<string, string | undefined> {
  return Object.fromEntries(
    report.resources.filter((r) => r.status === "failed").map((r) => [r.id, r.error]),
  );
}

async function line(srv: Server, db: "passwd" | "group", name: string): Promise<string> {
  return (await srv.exec(["getent", db, name])).stdout.trim();
}

const BOTH = "  groups:\n    - {name: web}\n  users:\n    - {name: web, group: web}\n";

Deno.test("accounts converge from the states a real server is in, in one run each, and roll back", async () => {
  await using srv = await freshServer();

  // A group named like the new user is there already: it becomes the primary group
  // (useradd refused with exit 9 after a clean plan), and rolling back keeps it.
  await srv.exec(["groupadd", "--gid", "1700", "app"], { check: true });
  const user = "  users:\n    - {name: app}\n";
  assert.equal((await run(srv, "plan", user)).totals.failed, 0);
  const created = await run(srv, "apply", user);
  assert.deepEqual(changedFields(created), { "user[app]": ["state"] });
  assert.match(await line(srv, "passwd", "app"), /^app:x:\d+:1700:/);
  assert.deepEqual(changedFields(await run(srv, "apply", user)), {});
  const undo = await cm(srv, ["rollback", created.id]);
  assert.equal(undo.code, 0, `${undo.stdout}\n${undo.stderr}`);
  assert.equal(await line(srv, "passwd", "app"), "");
  assert.equal(await line(srv, "group", "app"), "app:x:1700:");

  // present -> user absent, group kept -> both absent -> present: one run each, then stable.
  const steps = [
    [BOTH, { "group[web]": ["state"], "user[web]": ["state"] }],
    ["  groups:\n    - {name: web}\n  users:\n    - {name: web, state: absent}\n", {
      "user[web]": ["state"],
    }],
    [BOTH, { "user[web]": ["state"] }],
    ["  groups:\n    - {name: web, state: absent}\n  users:\n    - {name: web, state: absent}\n", {
      "group[web]": ["state"],
      "user[web]": ["state"],
    }],
    [BOTH, { "group[web]": ["state"], "user[web]": ["state"] }],
  ] as const;
  for (const [body, changed] of steps) {
    const first = await run(srv, "apply", body);
    assert.deepEqual(changedFields(first), changed, body);
    assert.deepEqual(failures(first), {}, body);
    const again = await run(srv, "apply", body);
    assert.deepEqual(changedFields(again), {}, body);
  }
  const web = await line(srv, "group", "web");
  assert.match(web, /^web:x:/);
  // Rolling back a run that deleted the user (its group kept) brings the user back in that group.
  const account = await line(srv, "passwd", "web");
  const removed = await run(srv, "apply", steps[1][0]);
  const back = await cm(srv, ["rollback", removed.id]);
  assert.equal(back.code, 0, `${back.stdout}\n${back.stderr}`);
  assert.equal(await line(srv, "passwd", "web"), account);
  assert.equal(await line(srv, "group", "web"), web);

  // An account renamed keeping its uid: the old one goes first, in the same run.
  await srv.exec(["useradd", "--uid", "2500", "olddeploy"], { check: true });
  const renamed =
    "  users:\n    - {name: deploy, uid: 2500}\n    - {name: olddeploy, state: absent}\n";
  assert.equal((await run(srv, "plan", renamed)).totals.failed, 0);
  assert.deepEqual(changedFields(await run(srv, "apply", renamed)), {
    "user[olddeploy]": ["state"],
    "user[deploy]": ["state"],
  });
  assert.match(await line(srv, "passwd", "deploy"), /^deploy:x:2500:/);
  assert.deepEqual(changedFields(await run(srv, "apply", renamed)), {});

  // A directory owned by the group a new system user gets: the plan knows useradd makes it.
  const owned = "  users:\n    - {name: svc, system: true}\n  directories:\n" +
    '    - {path: /srv/svc, owner: svc, group: svc, mode: "0750"}\n';
  assert.equal((await run(srv, "plan", owned)).totals.failed, 0);
  await run(srv, "apply", owned);
  assert.deepEqual(changedFields(await run(srv, "apply", owned)), {});

  // A home directory someone else owns already: useradd takes it as it is, and the plan says so;
  // a file there fails (useradd would take it as the home, with a warning, and exit 0).
  await srv.exec(["sh", "-c", "mkdir /srv/h && chown nobody /srv/h && touch /srv/hf"], {
    check: true,
  });
  const home = (await run(srv, "plan", "  users:\n    - {name: hh, home: /srv/h}\n")).resources[0];
  assert.equal(
    home.changes[0].note,
    'home "/srv/h" is there already (owner nobody): taken as it is, nothing copied into it',
  );
  const file = "  users:\n    - {name: hf, home: /srv/hf}\n";
  assert.deepEqual(failures(await run(srv, "plan", file, 1)), {
    "user[hf]": 'a file is in the way of home "/srv/hf"',
  });
  assert.equal((await run(srv, "apply", file, 1)).resources[0].status, "failed");
  assert.equal(await line(srv, "passwd", "hf"), "");

  // What useradd and groupadd would refuse fails in the plan already, naming why.
  await srv.exec(["groupadd", "--gid", "1800", "taken"], { check: true });
  const refused = await run(
    srv,
    "plan",
    "  groups:\n    - {name: newg, gid: 1800}\n    - {name: nogroup, state: absent}\n" +
      "  users:\n    - {name: bob, group: nogroupp}\n    - {name: carl, uid: 0}\n" +
      "    - {name: solo, group: solo}\n",
    1,
  );
  assert.deepEqual(failures(refused), {
    "group[newg]": 'gid 1800 is taken by group "taken"',
    "group[nogroup]":
      'group "nogroup" is the primary group of user "sync": groupdel refuses it (remove the user or give it another group first)',
    "user[bob]": 'group "nogroupp" does not exist: did you mean "nogroup"?',
    "user[carl]": 'uid 0 is taken by user "root"',
    "user[solo]": 'group "solo" does not exist: did you mean "sudo"?',
  });
});
