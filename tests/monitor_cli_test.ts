/**
 * Drift, metrics, alerts and audit through cm as a process, under the
 * shipped permission flags, on real files in a temporary directory.
 */
import assert from "node:assert/strict";
import { promtoolCheck, runCm, tempDir } from "./harness.ts";

async function setup(dir: string): Promise<{ book: string; state: string; file: string }> {
  const file = `${dir}/root/app.conf`;
  await Deno.mkdir(`${dir}/root`);
  const book = `${dir}/book.yaml`;
  await Deno.writeTextFile(
    book,
    `name: monitor-test
configure:
  files:
    - path: ${file}
      content: "port = 8080\\n"
      mode: "0640"
`,
  );
  return { book, state: `${dir}/state`, file };
}

Deno.test("cm drift: 0 when converged, 5 naming what differs, and nothing is changed", async () => {
  await using dir = await tempDir();
  const { book, state, file } = await setup(dir.path);
  const none = await runCm(["drift", "--state-dir", state]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no applied cookbooks recorded in .*: run cm apply or cm sync first\n/);
  const health = await runCm(["health", "--state-dir", state]);
  assert.match(
    health.stderr,
    /run cm apply or cm sync first, or name the cookbooks\n/,
    "health takes them",
  );
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  const clean = await runCm(["drift", "--state-dir", state]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /drift: 0 of 1 resource\(s\) differ from run /);

  await Deno.writeTextFile(file, "port = 22\n");
  const found = await runCm(["drift", "--state-dir", state, "--json"]);
  assert.equal(found.code, 5, found.stderr);
  const json = JSON.parse(found.stdout);
  assert.deepEqual(json.drifted.map((r: { id: string }) => r.id), [`file[${file}]`]);
  assert.equal(await Deno.readTextFile(file), "port = 22\n", "cm drift changes nothing");
  assert.match((await runCm(["metrics", "--state-dir", state])).stdout, /^cm_drift_resources 1$/m);
});

Deno.test("cm drift: a command without a guard runs every time and is no drift, in the record and metrics", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  await Deno.writeTextFile(
    book,
    (await Deno.readTextFile(book)) + "install:\n  pre_install:\n    - command: /bin/true\n",
  );
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  const clean = await runCm(["drift", "--state-dir", state]);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /^drift: 0 of 2 resource\(s\) differ from run /);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${state}/drift.json`)).resources, []);
  assert.match((await runCm(["metrics", "--state-dir", state])).stdout, /^cm_drift_resources 0$/m);
});

Deno.test("cm drift plans the cookbooks given, not each include on its own", async () => {
  await using dir = await tempDir();
  const { state, file } = await setup(dir.path);
  await Deno.writeTextFile(
    `${dir.path}/role.yaml`,
    `name: role\nconfigure:\n  files:\n    - path: ${file}\n      content: "port = {{ port }}\\n"\n`,
  );
  const node = `${dir.path}/node.yaml`;
  await Deno.writeTextFile(
    node,
    "name: node\ninclude:\n  - {cookbook: role.yaml, vars: {port: 8080}}\n",
  );
  assert.equal((await runCm(["apply", "--state-dir", state, node])).code, 0);
  const clean = await runCm(["drift", "--state-dir", state]);
  assert.equal(clean.code, 0, clean.stderr);
  const history = await runCm(["history", "--state-dir", state, "--json"]);
  assert.deepEqual(JSON.parse(history.stdout).at(-1).cookbooks, [node]);
});

Deno.test("a run records the drift it repaired: report, show-run, audit log as a security event", async () => {
  await using dir = await tempDir();
  const { book, state, file } = await setup(dir.path);
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);
  await Deno.chmod(file, 0o666);
  const repair = await runCm(["apply", "--state-dir", state, book]);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(
    repair.stdout,
    new RegExp(`drift: repaired 1 resource\\(s\\) changed outside cm: file\\[${file}\\]`),
  );
  const id = /\(run (\S+)\)/.exec(repair.stdout)![1];
  const shown = await runCm(["show-run", "--state-dir", state, id]);
  assert.match(
    shown.stdout,
    /changed +file\[.*\] \(drift: changed outside cm\): mode: 0666 → 0640/,
  );

  const audit = (await Deno.readTextFile(`${state}/audit.log`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.deepEqual(audit.map((e) => [e.event, e.resource]), [
    ["change", `file[${file}]`],
    ["drift", `file[${file}]`],
  ]);
  assert.deepEqual(audit[1].changes, [{ field: "mode", from: "0666", to: "0640" }]);
  assert.equal(audit[1].runId, id);

  // A cookbook change is not drift.
  await Deno.writeTextFile(book, (await Deno.readTextFile(book)).replace("0640", "0600"));
  const changed = await runCm(["apply", "--state-dir", state, book]);
  assert.doesNotMatch(changed.stdout + changed.stderr, /drift/);
  const last = (await Deno.readTextFile(`${state}/audit.log`)).trim().split("\n").at(-1)!;
  assert.equal(JSON.parse(last).event, "change");
});

Deno.test("metrics: written atomically to the configured directory after each run, valid for promtool", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const collector = `${dir.path}/textfile`;
  const config = `${dir.path}/config.yaml`;
  await Deno.writeTextFile(config, `metrics_dir: ${collector}\n`);
  const env = { CM_CONFIG: config };
  assert.equal((await runCm(["apply", "--state-dir", state, book], { env })).code, 0);
  await assert.rejects(
    Deno.stat(`${collector}/cm.prom`),
    Deno.errors.NotFound,
    "absent directory: skipped",
  );
  await Deno.mkdir(collector);
  assert.equal((await runCm(["apply", "--state-dir", state, book], { env })).code, 0);
  const written = await Deno.readTextFile(`${collector}/cm.prom`);
  assert.match(written, /^cm_last_run_resources\{status="unchanged"\} 1$/m);
  assert.match(written, /^cm_last_run_success 1$/m);
  assert.equal((await Deno.stat(`${collector}/cm.prom`)).mode! & 0o777, 0o644);
  const printed = await runCm(["metrics", "--state-dir", state]);
  assert.equal(printed.stdout, written);
  const checked = await promtoolCheck(written);
  assert.equal(checked.code, 0, checked.stderr);

  assert.ok((await Deno.stat(`${state}/node_config.json`)).isFile, "the configuration is cached");

  await Deno.writeTextFile(config, "metrics_dri: /tmp\n");
  const bad = await runCm(["apply", "--state-dir", state, book], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /config\.yaml:1:1: .*metrics_dri.*did you mean "metrics_dir"/);
  // Never cached: the next run reports it again.
  const again = await runCm(["apply", "--state-dir", state, book], { env });
  assert.deepEqual([again.code, again.stderr], [2, bad.stderr]);
});

Deno.test("a node configuration cm may not read (/proc/self/environ) is named as such, exit 2", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const refused = await runCm(["apply", "--state-dir", state, book], {
    env: { CM_CONFIG: "/proc/self/environ" },
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(
    refused.stderr,
    'cm: cannot read node configuration: cannot read "/proc/self/environ": outside the paths cm may read\n',
  );
});

Deno.test("alerts: one drift alert while it lasts, one recovery; a dead target never fails the run", async () => {
  await using dir = await tempDir();
  const { book, state, file } = await setup(dir.path);
  const received: { kind: string; key: string }[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      received.push(await req.json());
      return new Response("ok");
    },
  );
  const alerts = `${dir.path}/alerts.yaml`;
  const config = `${dir.path}/config.yaml`;
  await Deno.writeTextFile(config, `alerts: ${alerts}\n`);
  await Deno.writeTextFile(
    alerts,
    `targets:\n  hook:\n    type: webhook\n    url: http://127.0.0.1:${server.addr.port}/cm\n`,
    { mode: 0o600 },
  );
  const env = { CM_CONFIG: config };
  assert.equal((await runCm(["apply", "--state-dir", state, book], { env })).code, 0);
  await Deno.writeTextFile(file, "changed by hand\n");
  assert.equal((await runCm(["drift", "--state-dir", state], { env })).code, 5);
  assert.equal((await runCm(["apply", "--state-dir", state, book], { env })).code, 0);
  assert.deepEqual(received.map((a) => [a.kind, a.key]), [["problem", `drift:file[${file}]`]]);
  assert.equal((await runCm(["apply", "--state-dir", state, book], { env })).code, 0);
  assert.deepEqual(received.map((a) => [a.kind, a.key]), [
    ["problem", `drift:file[${file}]`],
    ["recovery", `drift:file[${file}]`],
  ]);

  await Deno.writeTextFile(
    alerts,
    `timeout: 2\ntargets:\n  hook:\n    type: webhook\n    url: http://127.0.0.1:9/cm\n`,
    { mode: 0o600 },
  );
  await Deno.chmod(file, 0o600);
  const dead = await runCm(["apply", "--state-dir", state, book], { env });
  assert.equal(dead.code, 0, "a failing target never fails the run");
  assert.match(dead.stderr, /warning: alert to "hook" not delivered \(kept for the next run\)/);
});

Deno.test("show-run of a compacted report says what was compacted", async () => {
  await using dir = await tempDir();
  const { book, state } = await setup(dir.path);
  const first = await runCm(["apply", "--state-dir", state, "--json", book]);
  const report = JSON.parse(first.stdout);
  const compact = { ...report, resources: [], compacted: { unchanged: 9999 } };
  await Deno.writeTextFile(`${state}/runs/${report.id}.json`, JSON.stringify(compact));
  const shown = await runCm(["show-run", "--state-dir", state, report.id]);
  assert.equal(shown.code, 0);
  assert.match(shown.stdout, /compacted: 9999 unchanged resource\(s\) kept by count only/);
  assert.match((await runCm(["history", "--state-dir", state])).stdout, new RegExp(report.id));
});
