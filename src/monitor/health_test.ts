import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import { checkId, parseUnitState, runCheck, runHealthChecks } from "./health.ts";
import { type HealthCheck, healthSchema } from "../cookbook/health_schema.ts";
import { freePort, requireTool } from "./_testing.ts";

/** Parses checks as a cookbook would (defaults filled in). */
function checks(...items: unknown[]): HealthCheck[] {
  return healthSchema.parse(items);
}

/** A sleep that only records how long it was asked to wait. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

/** A real HTTP server on 127.0.0.1: "/" says hello, "/broken" answers 500 after `failFirst` tries. */
function serve(): { url: string; hits: string[]; close: () => Promise<void> } {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (path === "/") return new Response("Hello, world!\n");
    if (path === "/slow") {
      return new Promise((resolve) => setTimeout(() => resolve(new Response("late")), 1500));
    }
    if (path === "/flaky" && hits.filter((h) => h === "/flaky").length > 2) {
      return new Response("ok");
    }
    return new Response("broken", { status: 500 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, hits, close: () => server.shutdown() };
}

Deno.test("an http check passes on the expected status and body, through curl with the URL on stdin", async () => {
  await requireTool("curl", "curl");
  const web = serve();
  try {
    const [ok] = await runHealthChecks(
      new RealExecutor(),
      checks({ http: `${web.url}/`, body: "Hello, world!" }),
    );
    assert.deepEqual({ ...ok, durationMs: 0 }, {
      id: `http[${web.url}/]`,
      ok: true,
      attempts: 1,
      detail: "status 200",
      durationMs: 0,
    });
    const [wrongBody] = await runHealthChecks(
      new RealExecutor(),
      checks({ http: `${web.url}/`, body: "Goodbye", retries: 0 }),
    );
    assert.equal(wrongBody.detail, 'status 200, body does not contain "Goodbye"');
  } finally {
    await web.close();
  }
  const exec = new RecordingExecutor().on(["curl"], { stdout: "x\n200" });
  await runHealthChecks(exec, checks({ http: "http://u:s3cret@127.0.0.1/" }));
  assert.ok(exec.calls.every((argv) => !argv.join(" ").includes("s3cret")));
});

Deno.test("a failing http check is retried with doubling backoff and no real sleep", async () => {
  const web = serve();
  try {
    const exec = new RealExecutor();
    const { sleep, waits } = fakeSleep();
    const broken = await runCheck(
      exec,
      checks({ http: `${web.url}/broken`, retries: 3, backoff: 0.5 })[0],
      sleep,
    );
    assert.equal(broken.ok, false);
    assert.equal(broken.attempts, 4);
    assert.equal(broken.detail, "status 500, expected 200");
    assert.deepEqual(waits, [500, 1000, 2000]);
    assert.equal(web.hits.filter((h) => h === "/broken").length, 4);

    const flaky = fakeSleep();
    const recovered = await runCheck(
      exec,
      checks({ http: `${web.url}/flaky`, retries: 5 })[0],
      flaky.sleep,
    );
    assert.deepEqual([recovered.ok, recovered.attempts, flaky.waits], [true, 3, [1000, 2000]]);

    // The most a cookbook may ask: each wait stops doubling at a minute (not 2^20 backoffs).
    const longest = fakeSleep();
    await runCheck(
      exec,
      checks({ http: `${web.url}/broken`, retries: 20, backoff: 60, timeout: 1 })[0],
      longest.sleep,
    );
    assert.equal(longest.waits.length, 20);
    assert.ok(longest.waits.every((ms) => ms === 60_000), String(longest.waits));
  } finally {
    await web.close();
  }
});

Deno.test("an http check on a closed port fails with curl's reason", async () => {
  const [result] = await runHealthChecks(
    new RealExecutor(),
    checks({ http: `http://127.0.0.1:${freePort()}/`, retries: 0 }),
  );
  assert.equal(result.ok, false);
  assert.match(result.detail, /^exited 7: curl: \(7\) Failed to connect/);
});

Deno.test("an http check that outlives its timeout fails with curl's timeout", async () => {
  const web = serve();
  try {
    const [slow] = await runHealthChecks(
      new RealExecutor(),
      checks({ http: `${web.url}/slow`, timeout: 0.3, retries: 0 }),
    );
    assert.equal(slow.ok, false);
    assert.match(slow.detail, /^exited 28: curl: \(28\) Operation timed out after/);
    assert.ok(slow.durationMs < 1200, `took ${slow.durationMs} ms`);
  } finally {
    await web.close();
  }
});

Deno.test("a port check connects to a real open port and fails on a closed one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = (listener.addr as Deno.NetAddr).port;
  try {
    const { sleep } = fakeSleep();
    const [up, down] = await runHealthChecks(
      new RealExecutor(),
      checks({ port: open }, { port: freePort(), retries: 1 }),
      sleep,
    );
    assert.deepEqual([up.id, up.ok, up.detail], [`port[127.0.0.1:${open}]`, true, "connected"]);
    assert.deepEqual([down.ok, down.attempts], [false, 2]);
    assert.match(down.detail, /Connection refused/);
  } finally {
    listener.close();
  }
});

Deno.test("a command check passes on exit 0 and reports the exit code otherwise", async () => {
  const [yes, no] = await runHealthChecks(
    new RealExecutor(),
    checks({ command: ["true"] }, { command: ["sh", "-c", "echo bad >&2; exit 3"], retries: 0 }),
  );
  assert.deepEqual([yes.ok, yes.detail], [true, "exited 0"]);
  assert.deepEqual([no.ok, no.detail, no.id], [
    false,
    "exited 3: bad",
    "command[sh -c echo bad >&2; exit 3]",
  ]);
});

Deno.test("a command check that outlives its timeout fails", async () => {
  const [slow] = await runHealthChecks(
    new RealExecutor(),
    checks({ command: ["sleep", "5"], timeout: 0.2, retries: 0 }),
  );
  assert.equal(slow.ok, false);
  assert.match(slow.detail, /timed out after 200 ms/);
});

Deno.test("a failing command check keeps its output's lines as written, the tail bounded", async () => {
  const [two, many] = await runHealthChecks(
    new RealExecutor(),
    checks(
      { command: ["sh", "-c", "echo first >&2; echo second >&2; exit 1"], retries: 0 },
      { command: ["sh", "-c", "seq 1 30; exit 1"], retries: 0 },
    ),
  );
  assert.equal(two.detail, "exited 1: first\nsecond");
  assert.equal(
    many.detail.split("\n").slice(0, 2).join("|"),
    "exited 1: (10 earlier lines cut)|11",
  );
});

function systemctl(...answers: string[]): RecordingExecutor {
  let i = 0;
  return new RecordingExecutor().on(
    ["systemctl", "show"],
    () => ({ stdout: answers[Math.min(i++, answers.length - 1)] }),
  );
}

const RUNNING = "LoadState=loaded\nActiveState=active\nSubState=running\nNRestarts=0\n";

Deno.test("a service check wants the unit active twice with no restart in between", async () => {
  const { sleep, waits } = fakeSleep();
  const exec = systemctl(RUNNING, RUNNING);
  const [ok] = await runHealthChecks(exec, checks({ service: "nginx" }), sleep);
  assert.deepEqual([ok.ok, ok.detail, ok.id], [true, "active (running)", "service[nginx]"]);
  assert.deepEqual(waits, [1000]);
  assert.deepEqual(exec.calls[0], [
    "systemctl",
    "show",
    "--property=LoadState,ActiveState,SubState,NRestarts",
    "--",
    "nginx",
  ]);
});

Deno.test("a service check fails on a crash loop, an inactive unit and a missing unit", async () => {
  const { sleep } = fakeSleep();
  const looping = systemctl(RUNNING, RUNNING.replace("NRestarts=0", "NRestarts=4"));
  const [loop] = await runHealthChecks(looping, checks({ service: "php-fpm", retries: 0 }), sleep);
  assert.equal(loop.detail, "restarting: systemd restarted it 4 time(s) in 1 s");
  const waiting = systemctl(RUNNING.replace("SubState=running", "SubState=auto-restart"));
  const [restart] = await runHealthChecks(waiting, checks({ service: "x", retries: 0 }), sleep);
  assert.equal(restart.detail, "active (auto-restart)");
  const failed = systemctl("LoadState=loaded\nActiveState=failed\nSubState=failed\nNRestarts=5\n");
  const [down] = await runHealthChecks(failed, checks({ service: "x", retries: 0 }), sleep);
  assert.equal(down.detail, "failed (failed)");
  const missing = systemctl("LoadState=not-found\nActiveState=inactive\nSubState=dead\n");
  const [none] = await runHealthChecks(missing, checks({ service: "nope", retries: 0 }), sleep);
  assert.equal(none.detail, "unit not found");
});

Deno.test("unit state parsing reads the four properties", () => {
  assert.deepEqual(parseUnitState(RUNNING.replace("NRestarts=0", "NRestarts=7")), {
    load: "loaded",
    active: "active",
    sub: "running",
    restarts: 7,
  });
});

Deno.test("check ids mask URL passwords and prefer a given name", () => {
  const [a, b] = checks({ http: "https://bob:pw@example.com/x" }, { port: 22, name: "ssh" });
  assert.equal(checkId(a), "http[https://***@example.com/x]");
  assert.equal(checkId(b), "ssh");
});

Deno.test("the health schema rejects two kinds in one item and unknown fields", () => {
  const two = healthSchema.safeParse([{ http: "http://x/", port: 80 }]);
  assert.equal(two.success, false);
  assert.equal(
    two.error?.issues[0].message,
    "expected one check kind per item (http and port given)",
  );
  const unknown = healthSchema.safeParse([{ service: "nginx", status: 200 }]);
  assert.match(unknown.error?.issues[0].message ?? "", /Unrecognized key: "status"/);
  assert.equal(healthSchema.safeParse([{ port: 0 }]).success, false);
});

Deno.test("a sensitive check keeps its command, URL and output out of its id and detail", async () => {
  const [command, http, named] = checks(
    {
      command: ["sh", "-c", "echo token=s3cret >&2; exit 3", "s3cret"],
      sensitive: true,
      retries: 0,
    },
    { http: "http://127.0.0.1:1/?token=s3cret", sensitive: true, retries: 0, timeout: 2 },
    { command: ["false", "s3cret"], sensitive: true, retries: 0, name: "api answers" },
  );
  const results = await runHealthChecks(new RealExecutor(), [command, http, named]);
  assert.deepEqual(results.map((r) => [r.id, r.ok, r.detail]), [
    ["command[sensitive]", false, "exited 3"],
    ["http[sensitive]", false, "exited 7"],
    ["api answers", false, "exited 1"],
  ]);
  assert.ok(!JSON.stringify(results).includes("s3cret"));
});

Deno.test("a sensitive port or service check fails without the tool's output, which names host and unit", async () => {
  const exec = new RecordingExecutor()
    .on(["bash"], { code: 1, stderr: "bash: /dev/tcp/db-s3cret.internal/5432: Connection refused" })
    .on(["systemctl"], { code: 1, stderr: "Failed to get properties: unit s3cret.service" });
  const results = await runHealthChecks(
    exec,
    checks(
      { port: 5432, host: "db-s3cret.internal", sensitive: true, retries: 0 },
      { service: "s3cret", sensitive: true, retries: 0 },
    ),
  );
  assert.deepEqual(results.map((r) => [r.id, r.detail]), [
    ["port[sensitive]", "exited 1"],
    ["service[sensitive]", "systemctl show exited 1"],
  ]);
});
