/**
 * States a real Debian server can be in (issue 10), on fresh testbed servers:
 * apt version pins resolved by one rule for plan and apply (xxd's epoch),
 * systemd unit-file states (an init.d-only script, masked, enabled-runtime,
 * linked, indirect; a unit name with a typo; an Alias= name), a dpkg killed
 * mid-install (its journal left behind), a reload that failed staying
 * pending until it runs, and a command handler (`run_on`, an ldconfig that
 * checks its configuration first).
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server } from "./testbed/mod.ts";
import { installCm } from "./e2e/install_cm.ts";
import type { RunReport } from "../src/engine/report.ts";

const COOKBOOK = "/srv/states.yaml";

/** `cm MODE --json` of `body` (the cookbook's sections): its exit code and report. */
async function cm(srv: Server, mode: "plan" | "apply", body: string) {
  await srv.writeFile(COOKBOOK, `name: states\nversion: "1.0.0"\n${body}`);
  const r = await srv.exec(["cm", mode, "--json", COOKBOOK]);
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as RunReport };
  } catch {
    throw new Error(`cm ${mode}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  }
}

/** `{id: status, or "failed: first line of the error"}` of a report's resources. */
function statuses(report: RunReport): Record<string, string> {
  return Object.fromEntries(
    report.resources.map((x) => [
      x.id,
      x.status === "failed" ? `failed: ${x.error!.split("\n")[0]}` : x.status,
    ]),
  );
}

function pkg(name: string, version: string): string {
  return `install:\n  install:\n    - package: ${name}\n      version: "${version}"\n`;
}

Deno.test("a version pin means the same versions to plan, apply and the next run (xxd)", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  await srv.exec(["apt-get", "update", "-q"], { check: true });

  const plan = await cm(srv, "plan", pkg("xxd", "9.0.*"));
  assert.deepEqual(statuses(plan.report), { "package[xxd]": "changed" });
  const applied = await cm(srv, "apply", pkg("xxd", "9.0.*"));
  assert.equal(applied.code, 0, JSON.stringify(applied.report.resources));
  const full = (await srv.exec(["dpkg-query", "-W", "-f", "${Version}", "xxd"])).stdout;
  assert.match(full, /^2:9\.0\./);
  // The installed version, named without its epoch, or without its revision: unchanged.
  for (const pin of [full.replace(/^2:/, ""), full.replace(/^2:/, "").replace(/-[^-]+$/, "")]) {
    const again = await cm(srv, "apply", pkg("xxd", pin));
    assert.deepEqual(statuses(again.report), { "package[xxd]": "unchanged" }, pin);
  }
  // No such version: the plan already fails, naming what apt has, and apply fails the same way.
  const none = await cm(srv, "plan", pkg("xxd", "8.2.*"));
  assert.equal(none.code, 1);
  assert.match(
    statuses(none.report)["package[xxd]"],
    /^failed: no candidate matches version "8\.2\.\*" of "xxd" \(apt has: 2:9\.0\./,
  );
  // A typo: "did you mean".
  const typo = await cm(srv, "plan", "install:\n  install:\n    - package: ngnix\n");
  assert.equal(
    statuses(typo.report)["package[ngnix]"],
    'failed: package "ngnix" is not known to apt: did you mean "nginx"?',
  );
  // A pin on a virtual package names its providers.
  const virtual = await cm(srv, "plan", pkg("awk", "1.3.4"));
  assert.match(statuses(virtual.report)["package[awk]"], /^failed: "awk" is a virtual package/);
});

const HELLO_INIT = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          hello
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: hello
### END INIT INFO
case "$1" in
  start) touch /run/hello ;;
  stop) rm -f /run/hello ;;
  status) test -e /run/hello ;;
esac
exit 0
`;

Deno.test("every unit-file state converges or fails with its reason", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  await srv.writeFile("/etc/init.d/hello", HELLO_INIT, 0o755);
  const unit = (extra = "") =>
    `[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n${extra}`;
  await srv.writeFile("/usr/lib/systemd/system/masked.service", unit());
  await srv.writeFile("/etc/systemd/system/rt.service", unit());
  await srv.writeFile("/opt/linked.service", unit());
  await srv.writeFile(
    "/etc/systemd/system/pair.socket",
    "[Socket]\nListenStream=/run/pair.sock\n[Install]\nWantedBy=sockets.target\n",
  );
  await srv.writeFile(
    "/etc/systemd/system/pair.service",
    "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nAlso=pair.socket\n",
  );
  await srv.exec(["systemctl", "daemon-reload"], { check: true });
  await srv.exec(["systemctl", "mask", "masked.service"], { check: true });
  await srv.exec(["systemctl", "enable", "--runtime", "rt.service"], { check: true });
  await srv.exec(["systemctl", "link", "/opt/linked.service"], { check: true });

  const services = `configure:
  services:
    - name: hello
      enabled: true
    - name: masked
      state: started
    - name: rt
      enabled: true
    - name: linked
      enabled: true
    - name: pair
      enabled: true
`;
  const plan = await cm(srv, "plan", services);
  assert.deepEqual(statuses(plan.report), {
    "service[hello]": "changed",
    "service[masked]":
      "failed: unit is masked: cannot be started (systemctl unmask masked.service)",
    "service[rt]": "changed",
    "service[linked]": "changed",
    "service[pair]": "changed",
  });
  // A typo, with nothing in the run that could bring the unit: "did you mean".
  const typo = await cm(
    srv,
    "plan",
    "configure:\n  services:\n    - name: helo\n      enabled: true\n",
  );
  assert.deepEqual(statuses(typo.report), {
    "service[helo]": 'failed: unit "helo.service" not found: did you mean "hello.service"?',
  });
  const applied = await cm(srv, "apply", services);
  assert.deepEqual(statuses(applied.report), { ...statuses(plan.report) });
  assert.equal(applied.code, 1);
  // Enabled for the next boot: rc2.d link, links under /etc, the Also= partner.
  assert.equal((await srv.exec(["sh", "-c", "ls /etc/rc2.d/S*hello"])).code, 0);
  const enabled = await srv.exec(["systemctl", "is-enabled", "rt", "linked", "pair.socket"]);
  assert.deepEqual(enabled.stdout.trim().split("\n"), ["enabled", "enabled", "enabled"]);
  const again = await cm(srv, "apply", services);
  assert.deepEqual(Object.values(statuses(again.report)).filter((s) => s === "changed"), []);
  // And back off: the init.d script loses its start link.
  const off = await cm(
    srv,
    "apply",
    "configure:\n  services:\n    - name: hello\n      enabled: false\n",
  );
  assert.deepEqual(statuses(off.report), { "service[hello]": "changed" });
  assert.notEqual((await srv.exec(["sh", "-c", "ls /etc/rc2.d/S*hello"])).code, 0);
});

Deno.test("a dpkg killed mid-install is finished first; a service named by its Alias= stops for real", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  // xxd unpacked and dpkg's journal left behind, as by a run killed inside apt-get.
  await srv.exec([
    "sh",
    "-c",
    [
      "apt-get update -q && cd /tmp && apt-get download -q xxd && dpkg --unpack /tmp/xxd_*.deb",
      "awk -v RS= -v ORS='\\n\\n' '/^Package: xxd\\n/' /var/lib/dpkg/status > /var/lib/dpkg/updates/0000",
    ].join(" && "),
  ], { check: true });
  const refused = await srv.exec(["apt-get", "install", "-y", "-q", "xxd"]);
  assert.match(refused.stderr, /dpkg was interrupted/);
  const applied = await cm(srv, "apply", pkg("xxd", "2:9.0.*"));
  assert.deepEqual(statuses(applied.report), { "package[xxd]": "changed" });
  const xxd = await srv.exec(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "xxd"]);
  assert.equal(xxd.stdout.trim(), "ii");

  await srv.writeFile(
    "/etc/systemd/system/real.service",
    "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\nAlias=other.service\n",
  );
  await srv.exec(["sh", "-c", "systemctl daemon-reload && systemctl enable --now real"], {
    check: true,
  });
  const off =
    "configure:\n  services:\n    - name: other\n      enabled: false\n      state: stopped\n";
  assert.deepEqual(statuses((await cm(srv, "apply", off)).report), { "service[other]": "changed" });
  assert.deepEqual(statuses((await cm(srv, "apply", off)).report), {
    "service[other]": "unchanged",
  });
  const real = await srv.exec(["systemctl", "is-active", "real.service"]);
  assert.equal(real.stdout.trim(), "inactive");
});

// sites-enabled/default is a link to it.
const SITE = "/etc/nginx/sites-available/default";

function nginx(vhost: string): string {
  return `install:
  install:
    - package: nginx
configure:
  files:
    - path: ${SITE}
      content: |
${vhost.split("\n").map((l) => `        ${l}`).join("\n")}
  services:
    - name: nginx
      state: started
      reload_on: [${SITE}]
`;
}

const GOOD = "server {\n  listen 80 default_server;\n  root /var/www/html;\n}";

Deno.test("a reload that failed stays pending and is retried until it runs (nginx)", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  const first = await cm(srv, "apply", nginx(GOOD));
  assert.equal(first.code, 0, JSON.stringify(statuses(first.report)));

  const broken = await cm(srv, "apply", nginx(GOOD.replace("html;", "html")));
  assert.equal(broken.code, 1);
  assert.deepEqual(broken.report.handlers.map((h) => [h.id, h.status]), [
    ["service[nginx]", "failed"],
  ]);
  // Nothing changed since, but the reload is still due: retried, fails again.
  const retry = await cm(srv, "apply", nginx(GOOD.replace("html;", "html")));
  assert.equal(retry.code, 1);
  assert.equal(retry.report.totals.changed, 0);
  assert.equal(retry.report.handlers[0]?.pendingSince, broken.report.startedAt);
  const status = await srv.exec(["cm", "status"]);
  assert.match(status.stdout, /pending: +service\[nginx\]: reload after file\[.*\] changed/);
  // Fixed: the reload runs and the entry clears.
  const fixed = await cm(srv, "apply", nginx(GOOD));
  assert.equal(fixed.code, 0);
  assert.deepEqual(fixed.report.handlers.map((h) => [h.id, h.status]), [
    ["service[nginx]", "changed"],
  ]);
  const clean = await cm(srv, "apply", nginx(GOOD));
  assert.deepEqual([clean.code, clean.report.handlers], [0, []]);
  assert.doesNotMatch((await srv.exec(["cm", "status"])).stdout, /pending:/);
});

const LD_CONF = "/etc/ld.so.conf.d/cm.conf";

/** A library directory and a handler that checks its config, then rebuilds the cache (newaliases style). */
function ldconfig(dir: string): string {
  return `install:
  post_install:
    - name: ldconfig
      command: grep -qx '/.*' ${LD_CONF} && ldconfig
      shell: true
      run_on: [${LD_CONF}]
configure:
  files:
    - path: ${LD_CONF}
      content: "${dir}\\n"
`;
}

Deno.test("a command with run_on runs once after what it names changed, and is retried until it runs", async () => {
  await using srv = await bootServer();
  await installCm(srv);
  await srv.exec(["mkdir", "-p", "/opt/cmlib"], { check: true });
  await srv.exec(["sh", "-c", "cp /usr/lib/x86_64-linux-gnu/libz.so.1.* /opt/cmlib/libcmz.so.1"], {
    check: true,
  });
  const cached = async () => (await srv.exec(["ldconfig", "-p"])).stdout.includes("/opt/cmlib/");
  const handlers = (report: RunReport) =>
    report.handlers.map((h) => [h.id, h.status, h.triggeredBy.join(" ")]);
  const trigger = `file[${LD_CONF}]`;

  const plan = await cm(srv, "plan", ldconfig("/opt/cmlib"));
  assert.deepEqual(statuses(plan.report), {
    [trigger]: "changed",
    "command[ldconfig]": "unchanged",
  });
  assert.deepEqual(handlers(plan.report), [["command[ldconfig]", "changed", trigger]]);
  const applied = await cm(srv, "apply", ldconfig("/opt/cmlib"));
  assert.deepEqual([applied.code, handlers(applied.report)], [0, [[
    "command[ldconfig]",
    "changed",
    trigger,
  ]]]);
  assert.equal(await cached(), true);
  // Nothing changed: the handler does not run.
  const again = await cm(srv, "apply", ldconfig("/opt/cmlib"));
  assert.deepEqual([again.code, again.report.handlers], [0, []]);

  // A relative path fails the check: the run fails, and so does the next one, which retries it.
  const broken = await cm(srv, "apply", ldconfig("opt/cmlib"));
  assert.deepEqual([broken.code, handlers(broken.report)], [1, [[
    "command[ldconfig]",
    "failed",
    trigger,
  ]]]);
  const retry = await cm(srv, "apply", ldconfig("opt/cmlib"));
  assert.deepEqual([retry.code, retry.report.totals.changed], [1, 0]);
  assert.equal(retry.report.handlers[0]?.pendingSince, broken.report.startedAt);
  assert.match((await srv.exec(["cm", "status"])).stdout, /pending: +command\[ldconfig\]/);
  // Fixed: it runs, the entry clears.
  await srv.exec(["rm", "-f", "/etc/ld.so.cache"], { check: true });
  const fixed = await cm(srv, "apply", ldconfig("/opt/cmlib"));
  assert.deepEqual([fixed.code, handlers(fixed.report)], [0, [[
    "command[ldconfig]",
    "changed",
    trigger,
  ]]]);
  assert.equal(await cached(), true);
  const clean = await cm(srv, "apply", ldconfig("/opt/cmlib"));
  assert.deepEqual([clean.code, clean.report.handlers], [0, []]);
  assert.doesNotMatch((await srv.exec(["cm", "status"])).stdout, /pending:/);
});
