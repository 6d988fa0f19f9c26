import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import { type AlertConfig, parseAlertConfig } from "./_alert_schema.ts";
import {
  alert,
  type AlertProblem,
  emptyAlertState,
  MAX_OUTBOX,
  planAlerts,
  readAlertState,
} from "./alerts.ts";
import { freePort, requireTool, waitFor } from "./_testing.ts";

const T0 = new Date("2026-11-30T12:00:00Z");
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const PHP_DOWN: AlertProblem = {
  key: "health:service[php8.2-fpm]",
  severity: "critical",
  summary: "php8.2-fpm is failed after commit abc123; rolled back",
  details: 'service[php8.2-fpm]: failed (failed)\nexit "1" in C:\\tmp\ttab',
};

Deno.test("one problem alert per distinct problem until it recovers, then one recovery", () => {
  let state = planAlerts(emptyAlertState(), [PHP_DOWN], ["ops"], "web1", T0);
  assert.deepEqual(state.outbox.map((o) => [o.event.kind, o.event.key, o.targets]), [
    ["problem", PHP_DOWN.key, ["ops"]],
  ]);
  assert.equal(state.outbox[0].event.since, T0.toISOString());
  state = { ...state, outbox: [] };
  state = planAlerts(state, [{ ...PHP_DOWN, summary: "still down" }], ["ops"], "web1", later(5));
  assert.deepEqual(state.outbox, [], "the same key again raises nothing");
  state = planAlerts(state, [], ["ops"], "web1", later(10));
  assert.deepEqual(state.outbox.map((o) => [o.event.kind, o.event.since, o.event.summary]), [
    ["recovery", T0.toISOString(), "still down"],
  ]);
  assert.deepEqual(state.open, {});
});

Deno.test("an alert state of another shape reads as empty, so alerting goes on", () => {
  const path = "/var/lib/config-manager/alerts.json";
  for (
    const text of [
      '{"open":{},"outbox":[null]}',
      '{"open":{"x":5},"outbox":[]}',
      '{"open":{},"outbox":[{"event":null,"targets":["ops"]}]}',
      '{"open":{},"outbox":[{"event":{"kind":"problem"},"targets":5}]}',
    ]
  ) {
    const exec = new RecordingExecutor().put(path, text);
    assert.deepEqual(readAlertState(exec, path), emptyAlertState(), text);
  }
});

Deno.test("a pass that changes nothing leaves the alert state file as it was", async () => {
  const exec = new RecordingExecutor().put("/state");
  const config: AlertConfig = {
    timeout: 10,
    targets: { ops: { type: "webhook", url: "https://h.example.com/x" } },
  };
  assert.deepEqual(await alert(exec, config, "/state/alerts.json", [], "web1", T0), []);
  assert.deepEqual(exec.writes, ["write /state/alerts.json"]);
  assert.deepEqual(await alert(exec, config, "/state/alerts.json", [], "web1", later(5)), []);
  assert.deepEqual(exec.writes, ["write /state/alerts.json"], "no second write");
  assert.deepEqual(readAlertState(exec, "/state/alerts.json"), emptyAlertState());
});

Deno.test("the outbox keeps at most the newest events for targets that keep failing", () => {
  let state = emptyAlertState();
  const problems: AlertProblem[] = [];
  for (let i = 0; i < MAX_OUTBOX + 5; i++) {
    problems.push({ ...PHP_DOWN, key: `k${i}` });
    state = planAlerts(state, problems, ["ops"], "web1", later(i));
  }
  assert.equal(state.outbox.length, MAX_OUTBOX);
  assert.deepEqual([state.outbox[0].event.key, state.outbox.at(-1)?.event.key], [
    "k5",
    `k${MAX_OUTBOX + 4}`,
  ]);
  assert.deepEqual(planAlerts(emptyAlertState(), [PHP_DOWN], [], "web1", T0).outbox, []);
});

interface Received {
  path: string;
  auth: string | null;
  type: string | null;
  body: Record<string, unknown>;
}

/** A real webhook receiver on 127.0.0.1; answers 503 while `down` is true. */
function receiver() {
  const received: Received[] = [];
  const ctl = { down: false };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    if (ctl.down) return new Response("unavailable", { status: 503 });
    received.push({
      path: new URL(req.url).pathname,
      auth: req.headers.get("authorization"),
      type: req.headers.get("content-type"),
      body,
    });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    ctl,
    close: () => server.shutdown(),
  };
}

function config(url: string): AlertConfig {
  return parseAlertConfig(
    `timeout: 5\ntargets:\n  ops:\n    type: webhook\n    url: ${url}/hook\n` +
      `    headers:\n      Authorization: "Bearer s3cret-token"\n` +
      `  chat:\n    type: slack\n    url: ${url}/services/T0/B0/s3cretpath\n`,
    "/etc/config-manager/alerts.yaml",
  );
}

Deno.test("a real webhook receiver gets exactly one failure and one recovery POST per target", async () => {
  await requireTool("curl", "curl");
  const web = receiver();
  const dir = Deno.makeTempDirSync({ prefix: "cm-alerts-" });
  const exec = new RealExecutor();
  const cfg = config(web.url);
  const statePath = `${dir}/alerts.json`;
  try {
    const first = await alert(exec, cfg, statePath, [PHP_DOWN], "web1", T0);
    assert.deepEqual(first.map((d) => [d.target, d.kind, d.error]), [
      ["ops", "problem", undefined],
      ["chat", "problem", undefined],
    ]);
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual(await alert(exec, cfg, statePath, [PHP_DOWN], "web1", later(i * 5)), []);
    }
    await alert(exec, cfg, statePath, [], "web1", later(20));
    assert.deepEqual(await alert(exec, cfg, statePath, [], "web1", later(25)), []);

    assert.deepEqual(web.received.map((r) => [r.path, r.body.kind ?? "slack"]), [
      ["/hook", "problem"],
      ["/services/T0/B0/s3cretpath", "slack"],
      ["/hook", "recovery"],
      ["/services/T0/B0/s3cretpath", "slack"],
    ]);
    const [problem, slack, recovery] = web.received;
    assert.equal(problem.auth, "Bearer s3cret-token");
    assert.equal(problem.type, "application/json");
    assert.deepEqual(problem.body, {
      source: "cm",
      kind: "problem",
      host: "web1",
      at: T0.toISOString(),
      since: T0.toISOString(),
      ...PHP_DOWN,
    });
    assert.equal(slack.auth, null);
    assert.match(String(slack.body.text), /^:red_circle: \*web1\* critical: php8\.2-fpm is failed/);
    assert.equal(recovery.body.since, T0.toISOString());
    assert.equal(Deno.statSync(statePath).mode! & 0o777, 0o600);
  } finally {
    await web.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a failing target does not throw, keeps its alert and gets it on the next run", async () => {
  const web = receiver();
  const dir = Deno.makeTempDirSync({ prefix: "cm-alerts-" });
  const exec = new RealExecutor();
  const statePath = `${dir}/alerts.json`;
  const cfg = config(web.url);
  cfg.targets.gone = { type: "webhook", url: `http://127.0.0.1:${freePort()}/x` };
  try {
    web.ctl.down = true;
    const failed = await alert(
      exec,
      cfg,
      statePath,
      [PHP_DOWN, { ...PHP_DOWN, key: "drift" }],
      "web1",
      T0,
    );
    assert.deepEqual(failed.map((d) => [d.target, d.key, Boolean(d.error)]), [
      ["ops", PHP_DOWN.key, true],
      ["chat", PHP_DOWN.key, true],
      ["gone", PHP_DOWN.key, true],
    ], "each dead target is tried once per run");
    assert.match(failed[0].error ?? "", /^curl exited 22: .*503/);
    assert.doesNotMatch(failed.map((d) => d.error).join(" "), /s3cret/);
    assert.equal(readAlertState(exec, statePath).outbox.length, 2);

    web.ctl.down = false;
    delete cfg.targets.gone;
    const retried = await alert(
      exec,
      cfg,
      statePath,
      [PHP_DOWN, { ...PHP_DOWN, key: "drift" }],
      "web1",
      later(5),
    );
    assert.deepEqual(retried.map((d) => [d.target, d.key, d.error]), [
      ["ops", PHP_DOWN.key, undefined],
      ["chat", PHP_DOWN.key, undefined],
      ["ops", "drift", undefined],
      ["chat", "drift", undefined],
    ]);
    assert.deepEqual(readAlertState(exec, statePath).outbox, []);
    assert.equal(web.received.length, 4);
  } finally {
    await web.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("webhook URLs, headers and bodies never appear in a process argument", async () => {
  const exec = new RecordingExecutor();
  const stdins: string[] = [];
  exec.on(["curl"], (_argv, options) => (stdins.push(options.stdin ?? ""), {}));
  await alert(
    exec,
    config("https://hooks.example.com"),
    "/state/alerts.json",
    [PHP_DOWN],
    "web1",
    T0,
  );
  assert.deepEqual(exec.calls, [["curl", "--config", "-"], ["curl", "--config", "-"]]);
  assert.match(stdins[0], /^url = "https:\/\/hooks\.example\.com\/hook"$/m);
  assert.match(stdins[0], /^header = "Authorization: Bearer s3cret-token"$/m);
  assert.match(stdins[0], /^data-binary = "\{\\"source\\":\\"cm\\",/m);
  assert.match(stdins[0], /^proto = "=http,https"$/m);
});

Deno.test("an alert mail goes through sendmail -t -i and a real MTA into a mailbox", async () => {
  await requireTool("sendmail", "exim4-daemon-light");
  const token = `cm-alert-test-${crypto.randomUUID()}`;
  const cfg = parseAlertConfig(
    "targets:\n  oncall:\n    type: email\n    to: [root@localhost]\n",
    "alerts.yaml",
  );
  const dir = Deno.makeTempDirSync({ prefix: "cm-alerts-" });
  try {
    const problem = { ...PHP_DOWN, summary: `php down ${token} – ünïcode` };
    const deliveries = await alert(
      new RealExecutor(),
      cfg,
      `${dir}/alerts.json`,
      [problem],
      "web1",
      T0,
    );
    assert.deepEqual(deliveries, [{ target: "oncall", kind: "problem", key: PHP_DOWN.key }]);
    const mail = await waitFor("the alert mail in /var/mail", 15_000, () => {
      for (const entry of Deno.readDirSync("/var/mail")) {
        const text = Deno.readTextFileSync(`/var/mail/${entry.name}`);
        const start = text.lastIndexOf(`Problem: php down ${token}`);
        // The mail starts at its "From " line: the file's start when it is the first mail.
        if (start >= 0) return Promise.resolve(text.slice(text.lastIndexOf("\nFrom ", start) + 1));
      }
      return Promise.resolve(null);
    });
    assert.match(mail, /^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/m);
    assert.match(mail, /^Auto-Submitted: auto-generated$/m);
    assert.match(mail, /^Key: health:service\[php8\.2-fpm\]$/m);
    assert.match(mail, /^service\[php8\.2-fpm\]: failed \(failed\)$/m);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
