/**
 * End-to-end scenarios on real servers (issue 3, a–g): each boots a fresh
 * Debian bookworm server with systemd as PID 1 (tests/testbed), copies dist/cm
 * into it as one file, as shipped (tests/e2e/install_cm.ts), copies
 * cookbooks/ to /srv/cookbooks and runs `cm` there, as on a real node.
 *
 * Servers share the host's network and bind port 80, so the scenarios run
 * one after another. The last test prints each scenario's `cm apply` wall
 * times and writes them to `$TMPDIR/cm-e2e-timings.json`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Server } from "./testbed/mod.ts";
import { tempDir } from "./harness.ts";
import {
  assertReloaded,
  assertRestarted,
  assertUntouched,
  changedFields,
  cm,
  cmJson,
  COOKBOOKS,
  curl,
  fetchFromHost,
  freshServer,
  handlerLines,
  HELLO_WEB,
  PHP_FPM,
  readIn,
  sha256In,
  type Timing,
  timingTable,
  unitMark,
} from "./e2e/hello_web.ts";

const HELLO = "Hello, world!";
const NGINX_CONF = "/etc/nginx/nginx.conf";
const INDEX_PHP = "/var/www/hello/index.php";
const NGINX_TEMPLATE = `${COOKBOOKS}/hello-web/nginx.conf`;

const timings: Timing[] = [];

/** The timing row of a scenario (created on first use, so failed scenarios keep what they measured). */
function timing(scenario: string): Timing {
  const row = { scenario };
  timings.push(row);
  return row;
}

/** First `cm apply` of hello-web on a fresh server: it must converge with exit 0. */
async function converge(srv: Server, row: Timing): Promise<void> {
  const { report, run } = await cmJson(srv, "apply", [HELLO_WEB], 0);
  row.firstApply = run.seconds;
  assert.equal(report.totals.failed, 0);
  assert.equal((await curl(srv)).body, HELLO);
}

/** `cm apply` of `cookbook` with nothing left to do: zero changes, no handler. */
async function assertNoop(srv: Server, row: Timing, cookbook = HELLO_WEB): Promise<void> {
  const { report, run } = await cmJson(srv, "apply", [cookbook], 0);
  row.noopApply ??= run.seconds;
  assert.deepEqual(changedFields(report), {}, "a second apply changed something");
  assert.deepEqual(handlerLines(report), [], "a second apply ran handlers");
  assert.equal(report.totals.failed + report.totals.skipped, 0);
}

/** Writes a copy of a cookbook file with each `[from, to]` replaced (each must occur). */
async function variant(
  srv: Server,
  from: string,
  to: string,
  edits: [string, string][],
): Promise<void> {
  let text = await readIn(srv, from);
  for (const [a, b] of edits) {
    assert.ok(text.includes(a), `${from} no longer contains ${JSON.stringify(a)}`);
    text = text.replaceAll(a, b);
  }
  await srv.writeFile(to, text);
}

Deno.test("the scenarios fail with a clear message when the machine cannot boot a server", async () => {
  await using dir = await tempDir("cm-not-an-image-");
  await assert.rejects(freshServer({ image: dir.path }), (e: Error) => {
    assert.match(
      e.message,
      /^The end-to-end tests need a machine that can boot a systemd container/,
    );
    assert.match(e.message, /is not an OS tree/);
    return true;
  });
});

Deno.test("a. the first cm apply of hello-web converges and serves Hello, world! inside and to the host", async () => {
  const row = timing("a. first apply");
  await using srv = await freshServer();
  const { report, run } = await cmJson(srv, "apply", ["--detailed-exitcodes", HELLO_WEB], 2);
  row.firstApply = run.seconds;

  assert.deepEqual(changedFields(report), {
    "package[nginx]": ["state"],
    "package[php-fpm]": ["state"],
    "directory[/var/www/hello]": ["group", "mode", "owner", "state"],
    [`file[${NGINX_CONF}]`]: ["content"], // the package's own nginx.conf is replaced
    [`file[${INDEX_PHP}]`]: ["content", "group", "mode", "owner", "state"],
  });
  // Installing the packages starts and enables both services (Debian policy); what cm
  // changed after that reaches them through their handlers.
  assert.deepEqual(
    report.resources.filter((r) => r.kind === "service").map((r) => `${r.id} ${r.status}`),
    [`service[${PHP_FPM}] unchanged`, "service[nginx] unchanged"],
  );
  assert.deepEqual(handlerLines(report), [
    `reload service[${PHP_FPM}] <- file[${INDEX_PHP}]`,
    `restart service[nginx] <- file[${NGINX_CONF}]`,
  ]);
  assert.ok(report.handlers.every((h) => h.status === "changed"));
  assert.deepEqual(report.totals, { changed: 5, unchanged: 2, failed: 0, skipped: 0 });
  assert.equal(report.result, "ok");

  assert.deepEqual(await curl(srv), { code: 0, body: HELLO });
  assert.equal(await fetchFromHost(), HELLO);
  for (const unit of ["nginx", PHP_FPM]) {
    const r = await srv.exec(["systemctl", "is-enabled", unit]);
    assert.equal(r.stdout.trim(), "enabled", `${unit} is not enabled`);
  }
  assert.equal(await readIn(srv, INDEX_PHP), '<?php echo "Hello, world!";\n');

  const noop = await cm(srv, ["apply", "--detailed-exitcodes", HELLO_WEB]);
  row.noopApply = noop.seconds;
  assert.equal(noop.code, 0, `a no-op apply with --detailed-exitcodes: ${noop.stderr}`);
  assert.match(noop.stdout, /apply: 0 changed, 7 unchanged, 0 failed, 0 skipped/);
});

Deno.test("b. a second cm apply changes nothing and restarts no service", async () => {
  const row = timing("b. second apply");
  await using srv = await freshServer();
  await converge(srv, row);
  const before = { nginx: await unitMark(srv, "nginx"), php: await unitMark(srv, PHP_FPM) };

  const { report, run } = await cmJson(srv, "apply", [HELLO_WEB], 0);
  row.noopApply = run.seconds;
  assert.deepEqual(changedFields(report), {});
  assert.deepEqual(report.handlers, []);
  assert.deepEqual(report.totals, { changed: 0, unchanged: 7, failed: 0, skipped: 0 });

  assertUntouched("nginx", before.nginx, await unitMark(srv, "nginx"));
  assertUntouched(PHP_FPM, before.php, await unitMark(srv, PHP_FPM));
  assert.equal((await curl(srv)).body, HELLO);
});

Deno.test("c. cm plan lists exactly the hand-made drifts and cm apply repairs them", async () => {
  const row = timing("c. drift");
  await using srv = await freshServer();
  await converge(srv, row);
  const converged = await sha256In(srv, NGINX_CONF);

  await srv.exec(["sh", "-c", `echo '# edited by hand' >> ${NGINX_CONF}`], { check: true });
  await srv.exec(["systemctl", "stop", PHP_FPM], { check: true });
  await srv.exec(["rm", INDEX_PHP], { check: true });
  const drifted = await sha256In(srv, NGINX_CONF);
  assert.notEqual((await curl(srv)).body, HELLO);

  const drifts = {
    [`file[${NGINX_CONF}]`]: ["content"],
    [`file[${INDEX_PHP}]`]: ["content", "group", "mode", "owner", "state"],
    [`service[${PHP_FPM}]`]: ["state"],
  };
  const plan = await cmJson(srv, "plan", [HELLO_WEB], 0);
  row.other = { plan: plan.run.seconds };
  assert.deepEqual(changedFields(plan.report), drifts);
  assert.deepEqual(
    plan.report.resources.find((r) => r.id === `service[${PHP_FPM}]`)?.changes.map((c) =>
      `${c.before} → ${c.after}`
    ),
    ["inactive → started"],
  );
  // The plan also says which handler the drift would fire (php-fpm is started instead).
  assert.deepEqual(handlerLines(plan.report), [`restart service[nginx] <- file[${NGINX_CONF}]`]);
  assert.equal(plan.report.totals.changed, 3);
  assert.equal(plan.report.totals.failed, 0);
  // The plan only looked.
  assert.equal(await sha256In(srv, NGINX_CONF), drifted);
  assert.equal(await sha256In(srv, INDEX_PHP), undefined);
  assert.equal((await srv.exec(["systemctl", "is-active", PHP_FPM])).stdout.trim(), "inactive");

  const nginxBefore = await unitMark(srv, "nginx");
  const { report, run } = await cmJson(srv, "apply", [HELLO_WEB], 0);
  row.other.repair = run.seconds;
  assert.deepEqual(changedFields(report), drifts);
  // php-fpm is started in this run, which serves the new index.php: no reload on top.
  assert.deepEqual(handlerLines(report), [`restart service[nginx] <- file[${NGINX_CONF}]`]);
  assertRestarted("nginx", nginxBefore, await unitMark(srv, "nginx"));
  assert.equal((await srv.exec(["systemctl", "is-active", PHP_FPM])).stdout.trim(), "active");
  assert.equal(await sha256In(srv, NGINX_CONF), converged);
  assert.deepEqual(await curl(srv), { code: 0, body: HELLO });
  await assertNoop(srv, row);
});

Deno.test("d. a new index.php reloads only php-fpm and a new nginx.conf restarts only nginx", async () => {
  const row = timing("d. change");
  await using srv = await freshServer();
  await converge(srv, row);
  const v2 = `${COOKBOOKS}/hello-web-v2.yaml`;
  // The health check follows the page, or the new page would fail it and be rolled back.
  await variant(srv, HELLO_WEB, v2, [
    [`<?php echo "${HELLO}";`, `<?php echo "Hello again, world!";`],
    [`body: "${HELLO}"`, `body: "Hello again, world!"`],
  ]);

  let before = { nginx: await unitMark(srv, "nginx"), php: await unitMark(srv, PHP_FPM) };
  const page = await cmJson(srv, "apply", [v2], 0);
  row.other = { "index.php change": page.run.seconds };
  assert.deepEqual(changedFields(page.report), { [`file[${INDEX_PHP}]`]: ["content"] });
  assert.deepEqual(handlerLines(page.report), [`reload service[${PHP_FPM}] <- file[${INDEX_PHP}]`]);
  assertReloaded(PHP_FPM, before.php, await unitMark(srv, PHP_FPM));
  assertUntouched("nginx", before.nginx, await unitMark(srv, "nginx"));
  assert.equal((await curl(srv)).body, "Hello again, world!");

  const v3 = `${COOKBOOKS}/hello-web-v3.yaml`;
  await variant(srv, NGINX_TEMPLATE, `${COOKBOOKS}/hello-web/nginx-v3.conf`, [[
    "server_name _;",
    "server_name _;\n        add_header X-Served-By cm always;",
  ]]);
  await variant(srv, v2, v3, [[
    "template: hello-web/nginx.conf",
    "template: hello-web/nginx-v3.conf",
  ]]);

  before = { nginx: await unitMark(srv, "nginx"), php: await unitMark(srv, PHP_FPM) };
  const conf = await cmJson(srv, "apply", [v3], 0);
  row.other["nginx.conf change"] = conf.run.seconds;
  assert.deepEqual(changedFields(conf.report), { [`file[${NGINX_CONF}]`]: ["content"] });
  assert.deepEqual(handlerLines(conf.report), [`restart service[nginx] <- file[${NGINX_CONF}]`]);
  assertRestarted("nginx", before.nginx, await unitMark(srv, "nginx"));
  assertUntouched(PHP_FPM, before.php, await unitMark(srv, PHP_FPM));
  const head = await srv.exec(["curl", "-s", "-i", "http://127.0.0.1/"], { check: true });
  assert.match(head.stdout, /^X-Served-By: cm\r?$/m);
  assert.ok(head.stdout.endsWith("\r\n\r\nHello again, world!"), head.stdout);
  await assertNoop(srv, row, v3);
});

Deno.test("e. an nginx.conf that fails its validate command is refused and nginx keeps serving", async () => {
  const row = timing("e. bad change");
  await using srv = await freshServer();
  await converge(srv, row);
  const bad = `${COOKBOOKS}/hello-web-bad.yaml`;
  await variant(srv, NGINX_TEMPLATE, `${COOKBOOKS}/hello-web/nginx-bad.conf`, [[
    "sendfile on;",
    "sendfile on;\n    this_is_not_a_directive on;",
  ]]);
  await variant(srv, HELLO_WEB, bad, [
    ["template: hello-web/nginx.conf", "template: hello-web/nginx-bad.conf"],
    ["validate: nginx -t -q -c %s", "validate: nginx -t -c %s"],
  ]);
  const oldConf = await sha256In(srv, NGINX_CONF);
  const etcBefore = (await srv.exec(["ls", "-A", "/etc/nginx"], { check: true })).stdout;
  const before = { nginx: await unitMark(srv, "nginx"), php: await unitMark(srv, PHP_FPM) };

  const { report, run } = await cmJson(srv, "apply", [bad], 1);
  row.other = { "refused apply": run.seconds };
  const conf = report.resources.find((r) => r.id === `file[${NGINX_CONF}]`);
  assert.equal(conf?.status, "failed");
  assert.match(conf?.error ?? "", /nginx -t/);
  assert.match(conf?.error ?? "", /unknown directive "this_is_not_a_directive"/);
  assert.deepEqual(
    report.resources.filter((r) => r.id !== conf?.id).map((r) => r.status),
    Array(6).fill("unchanged"),
  );
  assert.deepEqual(report.handlers, []);
  assert.equal(report.result, "failed");
  assert.equal(report.totals.failed, 1);

  assert.equal(await sha256In(srv, NGINX_CONF), oldConf, "the old nginx.conf was not kept");
  assert.equal(
    (await srv.exec(["ls", "-A", "/etc/nginx"], { check: true })).stdout,
    etcBefore,
    "a temporary file was left in /etc/nginx",
  );
  assertUntouched("nginx", before.nginx, await unitMark(srv, "nginx"));
  assertUntouched(PHP_FPM, before.php, await unitMark(srv, PHP_FPM));
  assert.deepEqual(await curl(srv), { code: 0, body: HELLO });

  const human = await cm(srv, ["apply", bad]);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /file\[\/etc\/nginx\/nginx\.conf\].*unknown directive/);
  await assertNoop(srv, row);
});

Deno.test("f. state absent removes a package and a file that an earlier apply put there", async () => {
  const row = timing("f. removal");
  await using srv = await freshServer();
  const cookbook = (state: string, fileFields: string) =>
    `name: removal
version: "1.0.0"
description: tree and a note, then neither
install:
  install:
    - package: tree
      state: ${state}
configure:
  files:
    - path: /etc/cm-e2e-note.txt
      state: ${state}
${fileFields}`;
  const present = `${COOKBOOKS}/removal-present.yaml`;
  const absent = `${COOKBOOKS}/removal-absent.yaml`;
  await srv.writeFile(
    present,
    cookbook(
      "present",
      '      content: "managed by cm\\n"\n      owner: root\n      group: root\n      mode: "0644"\n',
    ),
  );
  await srv.writeFile(absent, cookbook("absent", ""));
  const installed = async () =>
    (await srv.exec(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "tree"])).stdout.trim();

  const first = await cmJson(srv, "apply", [present], 0);
  row.firstApply = first.run.seconds;
  assert.deepEqual(Object.keys(changedFields(first.report)).sort(), [
    "file[/etc/cm-e2e-note.txt]",
    "package[tree]",
  ]);
  assert.equal(await installed(), "ii");
  assert.equal(await readIn(srv, "/etc/cm-e2e-note.txt"), "managed by cm\n");

  const { report, run } = await cmJson(srv, "apply", [absent], 0);
  row.other = { removal: run.seconds };
  assert.deepEqual(changedFields(report), {
    "package[tree]": ["state"],
    "file[/etc/cm-e2e-note.txt]": ["state"],
  });
  assert.deepEqual(
    report.resources.map((r) => r.changes.map((c) => `${c.before} → ${c.after}`)),
    [["present → absent"], ["present → absent"]],
  );
  assert.doesNotMatch(await installed(), /^ii/);
  assert.notEqual((await srv.exec(["sh", "-c", "command -v tree"])).code, 0);
  assert.equal(await sha256In(srv, "/etc/cm-e2e-note.txt"), undefined);
  await assertNoop(srv, row, absent);
});

Deno.test("g. the seed example validates unchanged and cm plan on a fresh server lists its changes without applying them", async () => {
  const row = timing("g. seed plan");
  await using srv = await freshServer();
  const seed = "/srv/seed/seed_example.yaml";
  await srv.copyIn(new URL("./testdata/seed_example.yaml", import.meta.url).pathname, seed);

  const valid = await cm(srv, ["validate", seed]);
  assert.equal(valid.code, 0, valid.stderr);
  assert.match(valid.stdout, /seed_example\.yaml: valid, 5 resources/);

  const plan = await cm(srv, ["plan", seed]);
  row.other = { plan: plan.seconds };
  assert.equal(plan.code, 0, plan.stderr);
  const lines = plan.stdout.trim().split("\n").map((l) => l.replace(/\s+/, " "));
  assert.deepEqual(
    lines.slice(0, -1),
    [
      "would command[/usr/bin/apt-get update]: run: none → /usr/bin/apt-get update (runs every time: no guard)",
      "would package[nginx]: state: absent → present",
      "would command[/bin/systemctl enable nginx]: run: none → /bin/systemctl enable nginx (runs every time: no guard)",
      "would file[/etc/nginx/nginx.conf]: state: absent → present, content: none → 24 B, 1 line, owner: none → root, group: none → root, mode: none → 0644",
      "would service[nginx]: enabled: none → true (unit not found yet), state: not-found → started (unit not found yet)",
    ],
  );
  assert.match(lines.at(-1)!, /^plan: 5 to change, 0 unchanged, 0 failed, 0 skipped/);

  // Nothing was applied.
  assert.notEqual((await srv.exec(["dpkg", "-s", "nginx"])).code, 0, "nginx got installed");
  assert.equal(await sha256In(srv, "/etc/nginx/nginx.conf"), undefined);
});

Deno.test("h. hello-web converges on a server whose apt lists are empty, as cloud images ship", async () => {
  const row = timing("h. empty apt lists");
  await using srv = await freshServer();
  await srv.exec(["sh", "-c", "rm -rf /var/lib/apt/lists/*"], { check: true });
  const plan = await cmJson(srv, "plan", [HELLO_WEB], 0);
  assert.ok(plan.report.resources.some((r) => r.id === `service[${PHP_FPM}]`));

  const { report, run } = await cmJson(srv, "apply", [HELLO_WEB], 0);
  row.firstApply = run.seconds;
  assert.equal(report.totals.failed, 0);
  assert.deepEqual(await curl(srv), { code: 0, body: HELLO });
  await assertNoop(srv, row);
});

Deno.test("the e2e scenarios' cm apply wall times are printed as a table", async () => {
  const table = timingTable(timings);
  const file = `${Deno.env.get("TMPDIR") ?? "/tmp"}/cm-e2e-timings.json`;
  await Deno.writeTextFile(file, JSON.stringify(timings, null, 1) + "\n");
  console.log(`\ncm apply wall times inside fresh servers (also in ${file}):\n${table}\n`);
  assert.ok(timings.length > 0, "no scenario ran");
});
