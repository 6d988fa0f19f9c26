/**
 * The resource kinds of issue 11 on a real server (one fresh testbed server):
 * an apt repository signed by its own key (built on the host) and a package
 * from it, a group and a user created in the run and owning a directory and
 * a git working copy at a tag in the same run, accounts removed, a link, a
 * cron entry, and a service reloaded when the checkout moves to a new tag.
 * The first run converges, the second changes nothing, moving the tag
 * changes only the checkout and reloads the service.
 *
 * @module
 */
import assert from "node:assert/strict";
import { changedFields, cm, cmJson, freshServer, handlerLines, readIn } from "./e2e/hello_web.ts";
import { buildAptRepo } from "./e2e/apt_repo.ts";
import type { Server } from "./testbed/mod.ts";

const COOKBOOK = "/srv/kinds/site.yaml";

/** The cookbook, with the app checked out at `tag` and the app user's `shell`. */
function cookbook(tag: string, shell = "/usr/sbin/nologin"): string {
  return `name: kinds
install:
  repositories:
    - name: local-test
      uris: ["file:/srv/repo"]
      suites: ["./"]
      key: files/repo.asc
  install:
    - package: cm-hello
configure:
  groups:
    - {name: app, gid: 1500}
    - {name: oldgroup, state: absent}
  users:
    - name: app
      uid: 1500
      group: app
      groups: [www-data]
      home: /srv/apphome
      shell: ${shell}
    - {name: olduser, state: absent}
  directories:
    - {path: /srv/storage, owner: app, group: app, mode: "0750"}
  checkouts:
    - path: /srv/app
      repo: /srv/upstream
      tag: ${tag}
      owner: app
  files:
    - path: /etc/systemd/system/app.service
      content: |
        [Service]
        ExecStart=/bin/sleep infinity
        ExecReload=/bin/true
        [Install]
        WantedBy=multi-user.target
  links:
    - path: /srv/current
      target: /srv/app
  cron_jobs:
    - name: app-tick
      schedule: "*/5 * * * mon-fri"
      user: www-data
      command: /srv/current/tick --at $(date +%H%M)
      environment: {MAILTO: ""}
  services:
    - name: app
      state: started
      reload_on: ["git[/srv/app]"]
`;
}

/**
 * An upstream repository in the server with tags v1 and v2, owned by
 * www-data and trusted by every user (as a git server would serve it), an
 * account for the cookbook to remove, and cron (a cron entry needs a daemon).
 */
async function prepare(srv: Server): Promise<void> {
  const script = `set -e
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends cron >/dev/null
git init -q -b main /srv/upstream
cd /srv/upstream
for v in v1 v2; do
  echo "$v" > version.txt
  git add version.txt
  git -c user.name=t -c user.email=t@example.invalid commit -q -m "$v"
  git tag "$v"
done
chown -R www-data: /srv/upstream
git config --system --add safe.directory /srv/upstream
git config --system --add safe.directory /srv/upstream/.git
groupadd oldgroup
useradd --no-create-home olduser
usermod --append --groups oldgroup www-data`;
  await srv.exec(["sh", "-c", script], { check: true });
}

async function apply(srv: Server, tag: string, shell?: string) {
  await srv.writeFile(COOKBOOK, cookbook(tag, shell));
  return (await cmJson(srv, "apply", [COOKBOOK], 0)).report;
}

Deno.test("apt_repository, group, user, git, link and cron converge on a real server, then change nothing", async () => {
  await using srv = await freshServer();
  const repo = await buildAptRepo({ name: "cm-hello", version: "1.0" });
  await srv.copyIn(repo.dir, "/srv/repo");
  await srv.writeFile("/srv/kinds/files/repo.asc", repo.publicKey);
  await prepare(srv);

  // A plan of a fresh server already works: the user the checkout needs comes later in the run.
  await srv.writeFile(COOKBOOK, cookbook("v1"));
  const plan = (await cmJson(srv, "plan", [COOKBOOK], 0)).report;
  const checkout = plan.resources.find((r) => r.id === "git[/srv/app]")!;
  assert.equal(checkout.changes[0].note, 'user "app" does not exist yet');
  assert.equal(plan.totals.failed, 0);

  const first = await apply(srv, "v1");
  assert.deepEqual(changedFields(first), {
    "apt_repository[local-test]": ["keyring", "sources"],
    "package[cm-hello]": ["state"],
    "group[app]": ["state"],
    "group[oldgroup]": ["state"],
    "user[app]": ["state"],
    "user[olduser]": ["state"],
    "directory[/srv/storage]": ["group", "mode", "owner", "state"],
    "git[/srv/app]": ["commit"],
    "file[/etc/systemd/system/app.service]": ["content", "state"],
    "link[/srv/current]": ["target"],
    "cron[app-tick]": ["state"],
    "service[app]": ["state"],
  });
  assert.equal(await readIn(srv, "/usr/share/cm-hello/hello.txt"), "1.0\n");
  assert.equal(await readIn(srv, "/srv/current/version.txt"), "v1\n");
  const owners = await srv.exec(
    ["stat", "-c", "%U:%G %a", "/srv/app/version.txt", "/srv/storage", "/srv/apphome"],
    { check: true },
  );
  assert.deepEqual(owners.stdout.trim().split("\n"), ["app:app 644", "app:app 750", "app:app 755"]);
  const account = await srv.exec(["getent", "passwd", "app"], { check: true });
  assert.equal(account.stdout.trim(), "app:x:1500:1500::/srv/apphome:/usr/sbin/nologin");
  assert.equal((await srv.exec(["id", "-nG", "app"])).stdout.trim(), "app www-data");
  assert.equal((await srv.exec(["getent", "passwd", "olduser"])).code, 2);
  assert.equal((await srv.exec(["getent", "group", "oldgroup"])).code, 2);
  assert.match(
    await readIn(srv, "/etc/apt/sources.list.d/local-test.sources"),
    /^Signed-By: \/etc\/apt\/keyrings\/local-test.gpg$/m,
  );
  assert.match(
    await readIn(srv, "/etc/cron.d/app-tick"),
    /^\*\/5 \* \* \* mon-fri www-data \/srv\/current\/tick --at \$\(date \+\\%H\\%M\)$/m,
  );

  const second = await apply(srv, "v1");
  assert.deepEqual(changedFields(second), {});
  assert.deepEqual(handlerLines(second), []);

  const shell = await apply(srv, "v1", "/bin/sh");
  assert.deepEqual(changedFields(shell), { "user[app]": ["shell"] });
  assert.match((await srv.exec(["getent", "passwd", "app"])).stdout, /:\/bin\/sh\n$/);

  const moved = await apply(srv, "v2", "/bin/sh");
  assert.deepEqual(changedFields(moved), { "git[/srv/app]": ["commit"] });
  assert.deepEqual(handlerLines(moved), ["reload service[app] <- git[/srv/app]"]);
  assert.equal(await readIn(srv, "/srv/current/version.txt"), "v2\n");

  // cm rollback of the first run: refused while the later runs' changes to the user and the
  // working copy stand (exit 2, nothing restored); forced, the user and group it created go (with
  // the home useradd made for the user), the user and group it deleted come back (the group with
  // its member). The one thing it leaves, and says so (exit 1): the working copy the run cloned.
  const refused = await cm(srv, ["rollback", first.id]);
  assert.equal(refused.code, 2, `${refused.stdout}\n${refused.stderr}`);
  assert.match(
    refused.stderr,
    /later runs changed the same resources again \(user\[app\], git\[\/srv\/app\]\): roll back \S+, \S+ first/,
  );
  assert.match(await readIn(srv, "/srv/current/version.txt"), /^v2\n$/);
  const undo = await cm(srv, ["rollback", "--json", "--force", first.id]);
  assert.equal(undo.code, 1, `${undo.stdout}\n${undo.stderr}`);
  const restored = JSON.parse(undo.stdout).restored as {
    id: string;
    ok: boolean;
    error?: string;
  }[];
  assert.deepEqual(restored.filter((r) => !r.ok), [{
    id: "git[/srv/app]",
    ok: false,
    error: '"/srv/app" was cloned by the run: cm leaves the working copy, remove it by hand',
  }]);
  for (const id of ["user[app]", "group[app]", "user[olduser]", "group[oldgroup]"]) {
    assert.ok(restored.some((r) => r.id === id), id);
  }
  assert.equal((await srv.exec(["getent", "passwd", "app"])).code, 2);
  assert.equal((await srv.exec(["getent", "group", "app"])).code, 2);
  assert.equal((await srv.exec(["test", "-e", "/srv/apphome"])).code, 1);
  assert.match((await srv.exec(["getent", "passwd", "olduser"])).stdout, /^olduser:/);
  assert.match(
    (await srv.exec(["getent", "group", "oldgroup"])).stdout,
    /^oldgroup:x:\d+:www-data\n$/,
  );
});

Deno.test("a cron entry needs a cron daemon: refused in the plan on a server without one, written with the package that brings it", async () => {
  await using srv = await freshServer();
  // Debian's minimal system has /etc/cron.d (e2fsprogs puts a file there) but no cron.
  assert.equal((await srv.exec(["test", "-d", "/etc/cron.d"])).code, 0);
  const entry =
    `  cron_jobs:\n    - {name: tick, schedule: "@hourly", user: root, command: /bin/true}\n`;
  await srv.writeFile(COOKBOOK, `name: cron\nconfigure:\n${entry}`);
  const bare = (await cmJson(srv, "plan", [COOKBOOK], 1)).report;
  assert.match(bare.resources[0].error!, /^no cron daemon is installed \(no package provides/);
  const refused = (await cmJson(srv, "apply", [COOKBOOK], 1)).report;
  assert.equal(refused.resources[0].status, "failed");
  assert.equal((await srv.exec(["test", "-e", "/etc/cron.d/tick"])).code, 1);

  await srv.writeFile(
    COOKBOOK,
    `name: cron\ninstall:\n  install:\n    - package: cron\nconfigure:\n${entry}`,
  );
  const plan = (await cmJson(srv, "plan", [COOKBOOK], 0)).report;
  assert.equal(plan.resources[1].changes[0].note, "no cron daemon is installed yet");
  const applied = (await cmJson(srv, "apply", [COOKBOOK], 0)).report;
  assert.deepEqual(changedFields(applied), { "package[cron]": ["state"], "cron[tick]": ["state"] });
  assert.deepEqual(changedFields((await cmJson(srv, "apply", [COOKBOOK], 0)).report), {});
});
