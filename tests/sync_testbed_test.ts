/**
 * bootstrap.sh and the sync timer on a real, fresh server (systemd as PID 1,
 * from the test bed): the node is set up from a git repository served by
 * `git daemon` on the host, a commit pushed afterwards is applied by the timer
 * within one short interval, a second bootstrap changes nothing, and the
 * timer survives a reboot.
 *
 * The server has no deno and no npm cache: bootstrap.sh installs dist/cm,
 * copied in as one file, with `--binary` and its SHA-256, as an operator would.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bootServer, type Server } from "./testbed/mod.ts";
import { tempDir } from "./harness.ts";
import { ensureDistCm } from "../scripts/dist.ts";
import { fileCookbook, GitDaemon, Remote } from "./sync_git.ts";

const BOOTSTRAP = new URL("../bootstrap.sh", import.meta.url).pathname;
const INTERVAL = 5;
const SPLAY = 1;

async function waitFor(
  srv: Server,
  path: string,
  content: string,
  seconds: number,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const r = await srv.exec(["cat", path]);
    if (r.code === 0 && r.stdout === content) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 250));
  }
  const log = await srv.exec([
    "journalctl",
    "-u",
    "config-manager-sync.service",
    "--no-pager",
    "-n",
    "30",
  ]);
  throw new Error(
    `${path} did not become ${
      JSON.stringify(content)
    } within ${seconds} s; journal:\n${log.stdout}`,
  );
}

Deno.test({
  name:
    "bootstrap.sh sets up a fresh server; the timer applies a pushed commit and survives a reboot",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("cm-sync-tb-");
    const remote = await Remote.create(`${tmp.path}/git`);
    const target = "/srv/cm-sync/motd";
    const cookbook = (content: string) =>
      `name: node\nconfigure:\n  directories:\n    - path: /srv/cm-sync\n      mode: "0755"\n` +
      fileCookbook(target, content).split("\n").slice(2).join("\n");
    await remote.commit({ "site.yaml": cookbook("v1\n") }, "v1");
    await using daemon = await GitDaemon.start(`${tmp.path}/git`);
    const url = daemon.url(remote.bare);
    const dist = await ensureDistCm();
    const sha256 = createHash("sha256").update(await Deno.readFile(dist.path)).digest("hex");

    await using srv = await bootServer();
    await srv.copyIn(BOOTSTRAP, "/opt/bootstrap.sh");
    await srv.copyIn(dist.path, "/opt/dist/cm");
    console.log(`bootstrapping with dist/cm: ${dist.artefact}`);

    const bootstrap = [
      "bash",
      "/opt/bootstrap.sh",
      "--binary",
      "/opt/dist/cm",
      "--sha256",
      sha256,
      "--repo",
      url,
      "--cookbook",
      "site.yaml",
      "--interval",
      `${INTERVAL}s`,
      "--splay",
      String(SPLAY),
    ];
    let r = await srv.exec(bootstrap);
    assert.equal(r.code, 0, `bootstrap failed:\n${r.stdout}\n${r.stderr}`);
    assert.equal((await srv.exec(["cat", target])).stdout, "v1\n");
    // Its own first sync cloned and applied, in front of the operator (the timer came after it).
    assert.match(r.stderr, /sync: new commit [0-9a-f]{12}/, r.stderr);
    assert.equal(
      (await srv.exec(["stat", "-c", "%a", "/etc/config-manager", "/var/lib/config-manager"]))
        .stdout,
      "700\n700\n",
    );
    assert.equal(
      (await srv.exec(["stat", "-c", "%a", "/etc/config-manager/config.yaml"])).stdout,
      "600\n",
    );
    assert.equal(
      (await srv.exec(["systemctl", "is-active", "config-manager-sync.timer"])).stdout.trim(),
      "active",
    );
    assert.equal(
      (await srv.exec(["systemctl", "is-enabled", "config-manager-sync.timer"])).stdout.trim(),
      "enabled",
    );
    const status = await srv.exec(["/usr/local/bin/cm", "status"]);
    assert.match(
      status.stdout,
      /last sync: .*: (applied|converged)/,
      status.stdout + status.stderr,
    );
    // The timer's first run (OnBootSec) may be under way: it is armed again when that ends.
    assert.match(
      status.stdout,
      /^timer: +enabled, active; (next run \S|running now)/m,
      status.stdout,
    );
    assert.equal(status.code, 0, status.stdout);

    // Idempotent: a second bootstrap changes nothing.
    r = await srv.exec(bootstrap);
    assert.equal(r.code, 0, `second bootstrap failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /\/usr\/local\/bin\/cm is up to date/);
    assert.match(r.stderr, /config\.yaml is up to date/);
    assert.match(r.stdout, /timer already installed: nothing to do/);

    // A wrong --binary does not replace a working cm.
    const wrong = await srv.exec([
      "bash",
      "/opt/bootstrap.sh",
      "--binary",
      "/bin/true",
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /\/bin\/true is not a working cm \(--version exited 0: "true \(GNU coreutils\) [0-9.]+"\); \/usr\/local\/bin\/cm was left as it was/,
    );
    assert.equal(
      (await srv.exec(["sha256sum", "/usr/local/bin/cm"])).stdout.split(" ")[0],
      sha256,
    );

    // A pushed commit is applied by the timer within one interval plus splay.
    await remote.commit({ "site.yaml": cookbook("v2\n") }, "v2");
    const took = await waitFor(srv, target, "v2\n", INTERVAL + SPLAY + 20);
    console.log(
      `timer applied the pushed commit after ${
        took.toFixed(1)
      } s (interval ${INTERVAL} s, splay ${SPLAY} s)`,
    );

    // The timer survives a reboot and keeps syncing.
    await srv.reboot();
    assert.equal(
      (await srv.exec(["systemctl", "is-enabled", "config-manager-sync.timer"])).stdout.trim(),
      "enabled",
    );
    assert.equal(
      (await srv.exec(["systemctl", "is-active", "config-manager-sync.timer"])).stdout.trim(),
      "active",
    );
    await remote.commit({ "site.yaml": cookbook("v3\n") }, "v3");
    const afterBoot = await waitFor(srv, target, "v3\n", INTERVAL + SPLAY + 30);
    console.log(
      `after the reboot the timer applied the next commit after ${afterBoot.toFixed(1)} s`,
    );
  },
});
