/**
 * The example repository cookbooks/php-app on two fresh testbed servers, db1
 * and web1, each converged by `cm sync --once` from a git daemon on the host
 * (nodes/<hostname>.yaml picks each one's cookbook): the page served by web1
 * shows the row db1 seeded; a second sync changes nothing and restarts
 * nothing; moving the app to a new tag redeploys the code and reloads PHP-FPM
 * only.
 *
 * The test bed's servers share the host's network namespace, so they are not
 * separated on the network: db1 binds MariaDB to 127.0.0.2 (its own loopback
 * address, which nothing else uses) and web1 connects there; nginx on web1
 * listens on port 80 of every address.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  assertReloaded,
  assertUntouched,
  freshServer,
  PHP_FPM,
  type UnitMark,
  unitMark,
} from "./e2e/hello_web.ts";
import { buildAptRepo } from "./e2e/apt_repo.ts";
import { GitDaemon, Remote, sh } from "./sync_git.ts";
import { tempDir } from "./harness.ts";
import type { Server } from "./testbed/mod.ts";

const EXAMPLE = new URL("../cookbooks/php-app", import.meta.url).pathname;
/** Quotes and a backslash, to prove the SQL and JSON quoting; "zq7-s3cret" is what is searched for. */
const PASSWORD = `zq7-s3cret'x"y\\z`;
const SECRET_MARK = "zq7-s3cret";
const VARS_FILE = "/etc/config-manager/vars.yaml";
const APP_CONFIG = "/etc/php-app/shop.json";
const USER_SQL = "/etc/mysql/php-app-user.sql";

/** Every file of the example repository, relative path → text. */
async function exampleFiles(dir = EXAMPLE, prefix = ""): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) Object.assign(files, await exampleFiles(`${dir}/${e.name}`, `${rel}/`));
    else files[rel] = await Deno.readTextFile(`${dir}/${e.name}`);
  }
  return files;
}

/** The application's own repository with tags v1 and v2 (VERSION differs). */
async function appRepository(dir: string, files: Record<string, string>): Promise<Remote> {
  const app = await Remote.create(dir);
  for (const version of ["v1", "v2"]) {
    await app.commit({
      "public/index.php": files["app/public/index.php"],
      "VERSION": `${version}\n`,
    }, version);
    await sh(["git", "-C", app.work, "tag", version]);
  }
  await sh(["git", "-C", app.work, "push", "--quiet", "origin", "--tags"]);
  return app;
}

/**
 * Sets a server up as bootstrap.sh would, plus the node's vars file with the
 * password (0600) and the local apt repository.
 */
async function prepareNode(srv: Server, repoUrl: string, aptDir: string): Promise<void> {
  await srv.copyIn(aptDir, "/srv/local-apt");
  await srv.writeFile(VARS_FILE, `vars:\n  db_password: ${JSON.stringify(PASSWORD)}\n`, 0o600);
  await srv.writeFile(
    "/etc/config-manager/config.yaml",
    `repo: ${repoUrl}\nvars_file: ${VARS_FILE}\n`,
    0o600,
  );
}

/** Every `cm sync` output, to search for the secret at the end. */
const outputs: string[] = [];

async function sync(srv: Server): Promise<string> {
  const r = await srv.exec(["cm", "sync", "--once", "-v"]);
  const out = `${r.stdout}\n${r.stderr}`;
  outputs.push(out);
  assert.equal(r.code, 0, `cm sync on ${srv.name} exited ${r.code}:\n${out}`);
  return out;
}

/**
 * Fails when the password shows in cm's outputs so far, in what `cm history`
 * and `cm show-run` print, or in any file of the state directory (state,
 * reports, snapshots) of `srv`.
 */
async function assertSecretKept(srv: Server): Promise<void> {
  const runs = await srv.exec(["cm", "history"], { check: true });
  outputs.push(runs.stdout);
  for (const id of runs.stdout.match(/^\S+(?=\s)/gm)!.slice(1)) {
    outputs.push((await srv.exec(["cm", "show-run", id], { check: true })).stdout);
  }
  for (const out of outputs) assert.ok(!out.includes(SECRET_MARK), `secret in cm output:\n${out}`);
  const found = await srv.exec(["grep", "-rlF", "--", SECRET_MARK, "/var/lib/config-manager"]);
  assert.equal(found.code, 1, `secret in ${srv.name}'s state directory: ${found.stdout}`);
}

/**
 * Waits up to 15 s until web1 serves `expected` for its first server name: a
 * reload of nginx or PHP-FPM is a signal, and the new workers take over just
 * after systemctl returns. Throws with the last body and nginx's view otherwise.
 */
async function waitForPage(web: Server, expected: string): Promise<void> {
  const curl = [
    "curl",
    "-sS",
    "--max-time",
    "5",
    "-H",
    "Host: shop.example.com",
    "http://127.0.0.1/",
  ];
  let last = "";
  for (const started = Date.now(); Date.now() - started < 15_000;) {
    const r = await web.exec(curl);
    last = `curl exited ${r.code}: ${r.stdout}${r.stderr}`;
    if (r.code === 0 && r.stdout === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const nginx = await web.exec([
    "sh",
    "-c",
    "ls -l /etc/nginx/sites-enabled; nginx -T 2>&1 | tail -40",
  ]);
  assert.fail(
    `web1 did not serve ${JSON.stringify(expected)} within 15 s; ${last}\n${nginx.stdout}`,
  );
}

async function marks(db: Server, web: Server): Promise<Record<string, UnitMark>> {
  return {
    mariadb: await unitMark(db, "mariadb"),
    [PHP_FPM]: await unitMark(web, PHP_FPM),
    nginx: await unitMark(web, "nginx"),
  };
}

Deno.test({
  name:
    "php-app: cm sync converges db1 and web1, the page shows the row, a new tag reloads PHP-FPM only",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("cm-php-app-");
    const files = await exampleFiles();
    const app = await appRepository(`${tmp.path}/git/app`, files);
    await using daemon = await GitDaemon.start(`${tmp.path}/git`);
    const apt = await buildAptRepo({ name: "cm-hello", version: "1.0" });
    const ops = await Remote.create(`${tmp.path}/git/ops`);
    const web1 = (tag: string) =>
      files["nodes/web1.yaml"]
        .replace(/app_repo: .*/, `app_repo: ${daemon.url(app.bare)}`)
        .replace(/app_tag: .*/, `app_tag: ${tag}`);
    await ops.commit({
      ...files,
      "files/local-apt.asc": apt.publicKey,
      "nodes/web1.yaml": web1("v1"),
    }, "php-app at v1");

    await using db = await freshServer({ name: "db1" });
    await using web = await freshServer({ name: "web1" });
    for (const srv of [db, web]) await prepareNode(srv, daemon.url(ops.bare), apt.dir);

    console.log(await sync(db));
    console.log(await sync(web));
    await waitForPage(web, "Hello from the shop database\nversion v1\n");
    const listening = await db.exec(["ss", "-Hltn", "sport = :3306"], { check: true });
    assert.match(listening.stdout, /127\.0\.0\.2:3306/);
    const modes = await web.exec(
      ["stat", "-c", "%n %U:%G %a", APP_CONFIG, "/srv/shop/storage", "/srv/shop/code/VERSION"],
      { check: true },
    );
    assert.deepEqual(modes.stdout.trim().split("\n"), [
      `${APP_CONFIG} root:shop 640`,
      "/srv/shop/storage shop:shop 750",
      "/srv/shop/code/VERSION shop:shop 644",
    ]);
    assert.match(
      (await web.exec(["cat", "/etc/cron.d/shop-purge-storage"], { check: true })).stdout,
      /^17 3 \* \* \* shop find \/srv\/shop\/storage -type f -mtime \+7 -delete$/m,
    );
    const sql = await db.exec(["stat", "-c", "%U:%G %a", USER_SQL], { check: true });
    assert.equal(sql.stdout, "root:root 600\n");
    // The pool runs as the app user, who can write to the storage directory.
    const visit = await web.exec(["stat", "-c", "%U", "/srv/shop/storage/last-visit"]);
    assert.equal(visit.stdout, "shop\n", visit.stderr);

    // A second sync of the same commit changes nothing and restarts nothing.
    const before = await marks(db, web);
    for (const srv of [db, web]) {
      assert.match(await sync(srv), /apply: 0 changed, \d+ unchanged, 0 failed/);
    }
    for (const [unit, mark] of Object.entries(await marks(db, web))) {
      assertUntouched(unit, before[unit], mark);
    }

    // Moving the app to v2 redeploys the code and reloads PHP-FPM, nothing else.
    await ops.commit({ "nodes/web1.yaml": web1("v2") }, "shop v2");
    const out = await sync(web);
    assert.match(out, /changed +git\[\/srv\/shop\/code\]: commit: [0-9a-f]{40} → [0-9a-f]{40}\n/);
    assert.match(out, /apply: 1 changed, \d+ unchanged, 0 failed, 0 skipped, 1 refreshed/);
    assert.match(out, new RegExp(`refreshed service\\[${PHP_FPM}\\]: reload`));
    assert.match(await sync(db), /apply: 0 changed/);
    const after = await marks(db, web);
    assertReloaded(PHP_FPM, before[PHP_FPM], after[PHP_FPM]);
    assertUntouched("nginx", before.nginx, after.nginx);
    assertUntouched("mariadb", before.mariadb, after.mariadb);
    await waitForPage(web, "Hello from the shop database\nversion v2\n");
    for (const srv of [db, web]) await assertSecretKept(srv);
  },
});
