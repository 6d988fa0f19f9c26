/**
 * Automatic rollback on a real server (issue 12 §8): hello-web converged by
 * `cm sync` from a git repository; a commit that breaks PHP-FPM is applied,
 * its restart fails health, cm restores the snapshot and `Hello, world!`
 * answers again. Measured: the outage seen from outside (first bad answer to
 * the first good one) and the rollback itself (failed health to healthy
 * again, as cm records it). A webhook receiver on 127.0.0.1 gets exactly one
 * failure and one recovery alert; the metrics file shows the rollback and
 * passes `promtool check metrics`; the next sync does not apply the
 * quarantined commit again; a fixed newer commit is applied.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RunReport } from "../src/engine/report.ts";
import { promtoolCheck, tempDir } from "./harness.ts";
import { GitDaemon, Remote } from "./sync_git.ts";
import { cm, freshServer, PHP_FPM } from "./e2e/hello_web.ts";
import type { Server } from "./testbed/mod.ts";

const HELLO = "Hello, world!";
const REPO_COOKBOOKS = new URL("../cookbooks", import.meta.url).pathname;
const BROKEN_POOL = "/etc/php/8.2/fpm/pool.d/zz-broken.conf";
const TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";

/** hello-web as the repository's default.yaml, with `edit` applied to its text. */
async function helloWeb(
  edit: (text: string) => string = (t) => t,
): Promise<Record<string, string>> {
  return {
    "default.yaml": edit(await Deno.readTextFile(`${REPO_COOKBOOKS}/hello-web.yaml`)),
    "hello-web/nginx.conf": await Deno.readTextFile(`${REPO_COOKBOOKS}/hello-web/nginx.conf`),
  };
}

/** The commit that breaks PHP-FPM: a pool file it cannot parse, and a restart when it changes. */
function breakPhpFpm(text: string): string {
  const withFile = text.replace(
    "  files:\n",
    `  files:\n    - path: ${BROKEN_POOL}\n      content: "[broken\\nlisten = \\n"\n`,
  );
  return withFile.replace(
    "      reload_on:\n",
    `      restart_on:\n        - ${BROKEN_POOL}\n      reload_on:\n`,
  );
}

/** A webhook receiver on the host's 127.0.0.1 (the server shares the host's network). */
function receiver() {
  const received: { kind: string; summary: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push(await req.json());
    return new Response("ok");
  });
  return { url: `http://127.0.0.1:${server.addr.port}/hook`, received, server };
}

/**
 * Runs `work` while the host polls http://127.0.0.1/ every 50 ms; the outage
 * is from the first answer without Hello, world! to the next one with it.
 */
async function outageDuring<T>(work: () => Promise<T>): Promise<{ value: T; outageMs?: number }> {
  const samples: { at: number; ok: boolean }[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const at = performance.now();
      const body = await fetch("http://127.0.0.1/", { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text(), () => "");
      samples.push({ at, ok: body.includes(HELLO) });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const value = await work();
  polling = false;
  await poll;
  const down = samples.findIndex((s) => !s.ok);
  const up = samples.findIndex((s, i) => i > down && s.ok);
  return { value, outageMs: down < 0 || up < 0 ? undefined : samples[up].at - samples[down].at };
}

/** One `cm sync --once --json`: its exit code, stderr and the apply's report (when one ran). */
async function syncOnce(srv: Server, url: string) {
  const r = await cm(srv, [
    "sync",
    "--once",
    "--json",
    "--repo",
    url,
    "--cookbook",
    "default.yaml",
  ]);
  const json = r.stdout.trim();
  return { code: r.code, err: r.stderr, report: json ? JSON.parse(json) as RunReport : undefined };
}

Deno.test({
  name:
    "a commit that breaks PHP-FPM is rolled back by cm sync: Hello, world! again, alerts, metrics, quarantine",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("cm-rollback-e2e-");
    const remote = await Remote.create(`${tmp.path}/git`);
    await remote.commit(await helloWeb(), "hello-web");
    await using daemon = await GitDaemon.start(`${tmp.path}/git`);
    const url = daemon.url(remote.bare);
    const hook = receiver();
    try {
      await using srv = await freshServer();
      await srv.exec([
        "sh",
        "-c",
        "command -v git || (apt-get update -q && apt-get install -y -q git)",
      ], {
        check: true,
      });
      await srv.writeFile(
        "/etc/config-manager/alerts.yaml",
        `targets:\n  hook:\n    type: webhook\n    url: ${hook.url}\n`,
        0o600,
      );
      await srv.exec(["mkdir", "-p", TEXTFILE_DIR], { check: true });

      const first = await syncOnce(srv, url);
      assert.equal(first.code, 0, first.err);
      assert.equal(first.report?.health?.ok, true, first.err);
      assert.equal(await (await fetch("http://127.0.0.1/")).text(), HELLO);

      const broken = await remote.commit(await helloWeb(breakPhpFpm), "break php-fpm");
      const { value: bad, outageMs } = await outageDuring(() => syncOnce(srv, url));
      assert.equal(bad.code, 4, bad.err);
      const health = bad.report?.health;
      assert.equal(health?.ok, false, bad.err);
      assert.match(
        health!.failures.join("\n"),
        new RegExp(`restart of service\\[${PHP_FPM}\\] failed`),
      );
      const rollback = bad.report!.rollback!;
      assert.equal(rollback.ok, true, JSON.stringify(rollback, null, 1));
      assert.deepEqual(rollback.restored, [{ id: `file[${BROKEN_POOL}]`, ok: true }]);
      assert.deepEqual(rollback.refreshed, [{ id: `service[${PHP_FPM}]`, ok: true }]);
      assert.ok(rollback.health.checks.every((c) => c.ok));
      assert.equal(await (await fetch("http://127.0.0.1/")).text(), HELLO);
      assert.notEqual((await srv.exec(["test", "-e", BROKEN_POOL])).code, 0);
      console.log(
        `rollback: failed health to healthy again (Hello, world! checked) in ${
          (rollback.durationMs / 1000).toFixed(2)
        } s; outage seen from outside ${
          outageMs === undefined ? "none" : `${(outageMs / 1000).toFixed(2)} s`
        } (target < 30 s, aim < 5 s)`,
      );
      assert.ok(rollback.durationMs < 30_000, `rollback took ${rollback.durationMs} ms`);

      assert.deepEqual(hook.received.map((e) => e.kind), ["problem", "recovery"]);
      assert.match(
        hook.received[0].summary,
        /health failed after the apply of commit .*rolled back/,
      );

      const prom = (await srv.exec(["cat", `${TEXTFILE_DIR}/cm.prom`], { check: true })).stdout;
      assert.match(prom, /^cm_rollbacks_attempted_total 1$/m);
      assert.match(prom, /^cm_rollbacks_succeeded_total 1$/m);
      assert.match(prom, /^cm_health_success 1$/m);
      const checked = await promtoolCheck(prom);
      assert.equal(checked.code, 0, checked.stderr);

      const status = await cm(srv, ["status"]);
      assert.match(status.stdout, new RegExp(`quarantined: +${broken}`));

      const again = await syncOnce(srv, url);
      assert.equal(again.code, 4, again.err);
      assert.match(again.err, /commit is quarantined/);
      assert.equal(again.report?.rollback, undefined);
      assert.equal(again.report?.totals.changed, 0);
      assert.notEqual((await srv.exec(["test", "-e", BROKEN_POOL])).code, 0);

      const fixedBody = "Hello, world! (fixed)";
      await remote.commit(
        await helloWeb((t) => t.replace('echo "Hello, world!"', `echo "${fixedBody}"`)),
        "fixed",
      );
      const fixed = await syncOnce(srv, url);
      assert.equal(fixed.code, 0, fixed.err);
      assert.equal(await (await fetch("http://127.0.0.1/")).text(), fixedBody);
      assert.doesNotMatch((await cm(srv, ["status"])).stdout, /quarantined/);
      assert.equal(hook.received.length, 2, "no alert beyond the failure and its recovery");
    } finally {
      await hook.server.shutdown();
    }
  },
});
