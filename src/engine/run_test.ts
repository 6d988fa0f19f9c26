import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { loadCookbooks } from "../cookbook/load.ts";
import { run } from "./run.ts";
import { tempDir } from "../_testing.ts";

const SHOW = "--property=Id,LoadState,ActiveState,UnitFileState,SubState,SourcePath,FragmentPath";

/** A fake machine with systemd, fresh apt lists and the given units' states. */
function machine(units: Record<string, string> = {}): RecordingExecutor {
  const exec = new RecordingExecutor()
    .put("/run/systemd/system")
    .put("/var/lib/apt/lists", undefined, { mtimeMs: Date.now() })
    .put("/etc", undefined)
    .put("/srv", undefined);
  exec.on(["systemctl", "show"], (argv) => ({
    stdout: argv.slice(4).map((unit) =>
      `Id=${unit}\nLoadState=loaded\nActiveState=${
        units[unit] ?? "active"
      }\nUnitFileState=enabled\nSubState=running\n`
    ).join("\n"),
  }));
  return exec;
}

async function load(exec: RecordingExecutor, yaml: string) {
  exec.put("/cookbooks/c.yaml", yaml);
  return await loadCookbooks(["/cookbooks/c.yaml"], exec);
}

const WEB = `
install:
  install:
    - package: nginx
    - package: php-fpm
configure:
  files:
    - path: /etc/site.conf
      content: "site"
    - path: /srv/index.php
      content: "<?php echo 1;"
  services:
    - name: php-fpm
      reload_on: [/srv/index.php]
    - name: nginx
      state: started
      restart_on: [/etc/site.conf, /srv/index.php]
`;

Deno.test("apply installs all missing packages in one apt-get transaction", async () => {
  const exec = machine();
  exec.on(["apt-cache", "policy"], (argv) => ({
    stdout: argv.slice(2).map((p) => `${p}:\n  Installed: (none)\n  Candidate: 1.0\n`).join(""),
  }));
  const report = await run(await load(exec, WEB), { mode: "apply", exec });
  assert.equal(report.result, "ok");
  const installs = exec.calls.filter((argv) => argv[0] === "apt-get" && argv.includes("install"));
  assert.equal(installs.length, 1);
  assert.deepEqual(installs[0].slice(-2), ["nginx", "php-fpm"]);
  assert.equal(exec.calls.filter((argv) => argv[0] === "dpkg-query").length, 1);
});

Deno.test("handlers run once per service at the end, in the order their triggers changed", async () => {
  const exec = machine();
  exec.on(["dpkg-query"], {
    stdout: "nginx\tamd64\t1.0\tii \nphp-fpm\tamd64\t1.0\tii \n",
  });
  const report = await run(await load(exec, WEB), { mode: "apply", exec });
  assert.deepEqual(report.handlers.map((h) => [h.id, h.action, h.triggeredBy]), [
    ["service[nginx]", "restart", ["file[/etc/site.conf]", "file[/srv/index.php]"]],
    ["service[php-fpm]", "reload", ["file[/srv/index.php]"]],
  ]);
  const refreshes = exec.calls.filter((argv) => argv[0] === "systemctl" && argv[1] !== "show");
  assert.deepEqual(refreshes, [
    ["systemctl", "restart", "--", "nginx.service"],
    ["systemctl", "try-reload-or-restart", "--", "php-fpm.service"],
  ]);
  // Second run: nothing changed, nothing restarted.
  exec.calls.length = 0;
  const again = await run(await load(exec, WEB), { mode: "apply", exec });
  assert.deepEqual(again.totals, { changed: 0, unchanged: 6, failed: 0, skipped: 0 });
  assert.deepEqual(again.handlers, []);
});

Deno.test("a service started by this run is not restarted again by its handler", async () => {
  const exec = machine({ "nginx.service": "inactive" });
  exec.on(["dpkg-query"], { stdout: "nginx\tamd64\t1.0\tii \nphp-fpm\tamd64\t1.0\tii \n" });
  const report = await run(await load(exec, WEB), { mode: "apply", exec });
  assert.deepEqual(report.handlers.map((h) => h.id), ["service[php-fpm]"]);
  assert.ok(exec.calls.some((argv) => argv.join(" ") === "systemctl start -- nginx.service"));
  assert.ok(!exec.calls.some((argv) => argv.join(" ") === "systemctl restart -- nginx.service"));
});

Deno.test("handlers still run for changes that succeeded when a later resource fails", async () => {
  const exec = machine({ "nginx.service": "active", "php-fpm.service": "inactive" });
  exec.on(["dpkg-query"], { stdout: "nginx\tamd64\t1.0\tii \nphp-fpm\tamd64\t1.0\tii \n" });
  exec.on(["systemctl", "start", "--", "php-fpm.service"], { code: 1, stderr: "Job failed" });
  const report = await run(
    await load(exec, WEB.replace("reload_on: [/srv/index.php]", "state: started")),
    {
      mode: "apply",
      exec,
    },
  );
  assert.equal(report.result, "failed");
  const failed = report.resources.find((r) => r.id === "service[php-fpm]")!;
  assert.equal(failed.status, "failed");
  assert.match(failed.error!, /^start failed: systemctl exited 1: Job failed/);
  assert.deepEqual(report.handlers.map((h) => [h.id, h.status]), [["service[nginx]", "changed"]]);
});

Deno.test("a resource whose requirement failed is skipped, naming it", async () => {
  const exec = machine();
  exec.on(["/bin/false"], { code: 1, stderr: "no" });
  const report = await run(
    await load(
      exec,
      `install:
  pre_install:
    - command: [/bin/false]
      name: setup
configure:
  files:
    - path: /etc/a
      content: a
      requires: ["command[setup]"]
    - path: /etc/b
      content: b
`,
    ),
    { mode: "apply", exec },
  );
  assert.deepEqual(report.resources.map((r) => [r.id, r.status]), [
    ["command[setup]", "failed"],
    ["file[/etc/a]", "skipped"],
    ["file[/etc/b]", "changed"],
  ]);
  assert.equal(report.resources[1].error, "requires command[setup], which did not apply");
  assert.equal(exec.text("/etc/a"), null);
});

Deno.test("plan reads and diffs but never writes or installs", async () => {
  const exec = machine({ "nginx.service": "inactive" });
  exec.on(["apt-cache", "policy"], (argv) => ({
    stdout: argv.slice(2).map((p) => `${p}:\n  Installed: (none)\n  Candidate: 1.0\n`).join(""),
  }));
  const report = await run(await load(exec, WEB), { mode: "plan", probe: exec });
  assert.deepEqual(exec.writes, []);
  assert.ok(exec.calls.every((argv) => ["dpkg-query", "apt-cache", "systemctl"].includes(argv[0])));
  assert.ok(
    exec.calls.filter((argv) => argv[0] === "systemctl").every((argv) => argv[1] === "show"),
  );
  assert.deepEqual(report.totals, { changed: 5, unchanged: 1, failed: 0, skipped: 0 });
  assert.deepEqual(report.handlers.map((h) => h.id), ["service[php-fpm]"]);
  assert.equal(SHOW, exec.calls.find((argv) => argv[0] === "systemctl")![2]);
});

Deno.test("a command whose guard an earlier command satisfied counts as unchanged", async () => {
  const exec = machine();
  exec.on(["/bin/make-it"], () => {
    exec.put("/srv/done", "x");
    return {};
  });
  const report = await run(
    await load(
      exec,
      `install:
  pre_install:
    - command: [/bin/make-it]
    - command: [/bin/make-it, again]
      creates: /srv/done
`,
    ),
    { mode: "apply", exec },
  );
  assert.deepEqual(report.resources.map((r) => [r.id, r.status]), [
    ["command[/bin/make-it]", "changed"],
    ["command[/bin/make-it again]", "unchanged"],
  ]);
  assert.equal(exec.calls.filter((argv) => argv[0] === "/bin/make-it").length, 1);
});

Deno.test("a resource requiring an earlier one of the same kind waits for it and is skipped when it failed", async () => {
  const exec = machine();
  exec.on(["/bin/download"], { code: 1, stderr: "404" });
  const report = await run(
    await load(
      exec,
      `install:
  pre_install:
    - command: [/bin/download]
      name: download
    - command: [/bin/install-it]
      requires: ["command[download]"]
    - command: [/bin/other]
configure:
  files:
    - path: /etc/a
      content: a
      requires: ["file[/etc/missing-parent/b]"]
    - path: /etc/missing-parent/b
      content: b
`,
    ),
    { mode: "apply", exec },
  );
  assert.deepEqual(report.resources.map((r) => [r.id, r.status]), [
    ["command[download]", "failed"],
    ["command[/bin/install-it]", "skipped"],
    ["command[/bin/other]", "changed"],
    ["file[/etc/missing-parent/b]", "failed"],
    ["file[/etc/a]", "skipped"],
  ]);
  assert.ok(!exec.calls.some((argv) => argv[0] === "/bin/install-it"));
  assert.equal(exec.text("/etc/a"), null);
});

Deno.test("plan counts a change that cannot be made (a directory in the way) as failed", async () => {
  const exec = machine().put("/etc/app.conf");
  const report = await run(
    await load(exec, `configure:\n  files:\n    - path: /etc/app.conf\n      content: x\n`),
    { mode: "plan", probe: exec },
  );
  assert.equal(report.resources[0].status, "failed");
  assert.equal(report.resources[0].error, "a directory is in the way: cm will not replace it");
  assert.equal(report.result, "failed");
});

Deno.test("a stop asked by a timer is seen during a batch of synchronous file writes", async () => {
  // Each write busy-waits like a real fsync: no await of the engine's reaches the event loop
  // unless the engine lets it run.
  class SlowDisk extends RecordingExecutor {
    override writeFile(...args: Parameters<RecordingExecutor["writeFile"]>): void {
      const until = performance.now() + 0.5;
      while (performance.now() < until) { /* the disk at work */ }
      super.writeFile(...args);
    }
  }
  const exec = new SlowDisk().put("/srv", undefined);
  const files = Array.from({ length: 300 }, (_, i) => `    - path: /srv/f${i}\n      content: x`);
  const cookbook = await load(exec, `configure:\n  files:\n${files.join("\n")}\n`);
  let stop: string | undefined;
  setTimeout(() => stop = "interrupted by SIGTERM", 0);
  const report = await run(cookbook, { mode: "apply", exec }, {}, { interrupted: () => stop });
  assert.equal(report.result, "interrupted");
  const skipped = report.resources.filter((r) => r.status === "skipped");
  assert.ok(skipped.length > 200, `${skipped.length} skipped`);
  assert.ok(skipped.every((r) => r.error === "interrupted by SIGTERM"));
});

Deno.test("a refresh pending from an earlier run is retried though nothing changed, first", async () => {
  const exec = machine();
  exec.on(["dpkg-query"], { stdout: "nginx\tamd64\t1.0\tii \nphp-fpm\tamd64\t1.0\tii \n" });
  const cookbook = await load(exec, WEB);
  await run(cookbook, { mode: "apply", exec });
  exec.calls.length = 0;
  exec.on(["systemctl", "restart", "--", "nginx.service"], { code: 1, stderr: "bad config" });
  const pending = {
    "service[nginx]": {
      action: "reload" as const,
      triggeredBy: ["file[/etc/site.conf]"],
      since: "2026-11-30T20:00:00.000Z",
      error: "reload failed",
    },
  };
  const plan = await run(cookbook, { mode: "plan", probe: exec }, {}, { pending });
  assert.deepEqual(plan.handlers.map((h) => [h.id, h.action, h.pendingSince]), [
    ["service[nginx]", "reload", "2026-11-30T20:00:00.000Z"],
  ]);
  exec.on(["systemctl", "reload-or-restart", "--", "nginx.service"], {
    code: 1,
    stderr: "bad config",
  });
  const retry = await run(cookbook, { mode: "apply", exec }, {}, { pending });
  assert.equal(retry.result, "failed");
  assert.equal(retry.totals.changed, 0);
  assert.deepEqual(retry.handlers.map((h) => [h.id, h.status, h.triggeredBy, h.pendingSince]), [
    ["service[nginx]", "failed", ["file[/etc/site.conf]"], "2026-11-30T20:00:00.000Z"],
  ]);
  assert.match(retry.handlers[0].error!, /bad config/);
});

const SYSCTL = `
install:
  post_install:
    - command: sysctl --system
      run_on: [/etc/sysctl.d/90-cm.conf]
configure:
  files:
    - path: /etc/sysctl.d/90-cm.conf
      content: "vm.swappiness = 10"
`;

Deno.test("a command with run_on runs once at the end, only when what it names changed", async () => {
  const exec = machine().put("/etc/sysctl.d", undefined);
  const cookbook = await load(exec, SYSCTL);
  const plan = await run(cookbook, { mode: "plan", probe: exec });
  assert.deepEqual(plan.handlers.map((h) => [h.id, h.action, h.triggeredBy]), [
    ["command[sysctl --system]", "run", ["file[/etc/sysctl.d/90-cm.conf]"]],
  ]);
  assert.equal(plan.resources.find((r) => r.kind === "command")!.status, "unchanged");
  const first = await run(cookbook, { mode: "apply", exec });
  assert.deepEqual(first.handlers.map((h) => [h.id, h.status]), [
    ["command[sysctl --system]", "changed"],
  ]);
  assert.deepEqual(exec.calls.filter((c) => c[0] === "sysctl"), [["sysctl", "--system"]]);
  // Nothing changed: nothing runs.
  const again = await run(cookbook, { mode: "apply", exec });
  assert.deepEqual(again.handlers, []);
  assert.equal(exec.calls.filter((c) => c[0] === "sysctl").length, 1);
  // A failure is a failed handler, retried when passed back as pending.
  exec.on(["sysctl"], { code: 1, stderr: "bad key" });
  const pending = {
    "command[sysctl --system]": {
      action: "run" as const,
      triggeredBy: ["file[/etc/sysctl.d/90-cm.conf]"],
      since: first.startedAt,
    },
  };
  const retry = await run(cookbook, { mode: "apply", exec }, {}, { pending });
  assert.deepEqual(retry.handlers.map((h) => [h.status, h.error]), [[
    "failed",
    "exited 1: bad key",
  ]]);
  assert.equal(retry.result, "failed");
});

Deno.test("a resource whose when: is false is skipped with its condition, and nothing of it is read", async () => {
  const exec = machine();
  const cookbook = await load(
    exec,
    "vars:\n  tls: false\nconfigure:\n  files:\n    - path: /etc/tls.conf\n      content: on\n      when: tls\n",
  );
  const report = await run(cookbook, { mode: "plan", probe: exec });
  assert.deepEqual(report.resources.map((r) => [r.id, r.status, r.error]), [
    ["file[/etc/tls.conf]", "skipped", "when: tls is false"],
  ]);
  assert.deepEqual(exec.calls, []);
});

Deno.test("a resource whose snapshot cannot be taken fails alone; the others of its kind are applied", async () => {
  const exec = machine();
  const book = await load(
    exec,
    'configure:\n  files:\n    - path: /etc/a\n      content: "a"\n    - path: /etc/b\n      content: "b"\n    - path: /etc/c\n      content: "c"\n',
  );
  const refuseB = (items: { resource: { id: string } }[]) =>
    Promise.resolve(
      new Map(
        items.filter((i) => i.resource.id === "file[/etc/b]")
          .map((i) => [i.resource.id, "file name too long"]),
      ),
    );
  const report = await run(book, { mode: "apply", exec }, {}, { beforeChange: refuseB });
  assert.deepEqual(
    report.resources.map((r) => [r.id, r.status, r.error]),
    [
      ["file[/etc/a]", "changed", undefined],
      ["file[/etc/b]", "failed", "cannot snapshot before changing: file name too long"],
      ["file[/etc/c]", "changed", undefined],
    ],
  );
  const full = () => Promise.reject(new Error('cannot write snapshot manifest "m": no space left'));
  const failing = await run(book, { mode: "apply", exec: machine() }, {}, { beforeChange: full });
  assert.ok(
    failing.resources.every((r) => r.status === "failed" && /no space left/.test(r.error!)),
  );
});

Deno.test("a repository that failed skips the packages; one skipped by its when: holds none back", async () => {
  const cookbook = (when: string) => `
install:
  repositories:
    - name: nodesource
      uris: [https://deb.nodesource.com/node_20.x]
      suites: [nodistro]
      components: [main]
      key: nodesource.gpg
      when: ${when}
  install:
    - package: nodejs
`;
  // The key is resolved on disk (inside the cookbook's repository), then read through the probe.
  await using dir = await tempDir();
  const key = `${dir.path}/nodesource.gpg`;
  Deno.writeTextFileSync(key, "not a key\n");
  for (const [when, nodejs] of [["true", "skipped"], ["false", "changed"]]) {
    const book = `${dir.path}/c.yaml`;
    Deno.writeTextFileSync(book, cookbook(when));
    const exec = machine().put(book, cookbook(when)).put(key, "not a key\n")
      .put("/etc/apt/sources.list.d", undefined);
    exec.on(["apt-cache", "policy"], () => ({
      stdout: "nodejs:\n  Installed: (none)\n  Candidate: 18.19\n",
    }));
    const loaded = await loadCookbooks([book], exec);
    const report = await run(loaded, { mode: "apply", exec });
    const [repo, pkg] = report.resources;
    assert.equal(repo.status, when === "true" ? "failed" : "skipped");
    assert.equal(pkg.status, nodejs, `when: ${when}`);
    if (nodejs === "skipped") {
      assert.equal(pkg.error, "requires apt_repository[nodesource], which did not apply");
      assert.ok(!exec.calls.some((argv) => argv[0] === "apt-get" && argv.includes("install")));
    }
  }
});

Deno.test("values of the node's vars file are masked in every result, also where sensitive was forgotten", async () => {
  const token = "S3CR3T-TOKEN-XYZ";
  const exec = machine().put("/etc/vars.yaml", `vars: {token: "${token}", port: 8080}\n`, {
    mode: 0o600,
  });
  exec.put(
    "/cookbooks/c.yaml",
    `
install:
  post_install:
    - command: ["/bin/sh", "-c", "register {{ token }}"]
    - command: ["/bin/false", "{{ token }}"]
      name: fails
      run_on: [/etc/app.conf]
configure:
  files:
    - path: /etc/app.conf
      content: "token={{ token }} port={{ port }}\\n"
`,
  );
  exec.on(["/bin/sh"], { code: 1, stderr: `refused ${token}` });
  exec.on(["/bin/false"], { code: 1, stderr: `no ${token}` });
  const cookbook = await loadCookbooks(["/cookbooks/c.yaml"], exec, { varsFile: "/etc/vars.yaml" });
  const seen: string[] = [];
  const events = { result: (r: unknown) => seen.push(JSON.stringify(r)) };
  const report = await run(cookbook, { mode: "apply", exec }, events, { diff: true });
  const text = JSON.stringify(report) + seen.join("");
  assert.equal(text.includes(token), false, text);
  assert.match(text, /register \*\*\*/);
  assert.match(report.handlers[0].error!, /no \*\*\*/);
  // The file itself gets the value; short values (a port) are not masked.
  assert.equal(
    new TextDecoder().decode(exec.readFile("/etc/app.conf")!),
    `token=${token} port=8080\n`,
  );
  assert.match(text, /port=8080/);
});

Deno.test("an apply records each existing file's diff, bounded, and a plan only with --diff", async () => {
  const exec = machine().put("/etc/app.conf", "port = 80\n").put("/etc/big.conf", "")
    .put("/etc/key", "old\n");
  const big = Array.from({ length: 600 }, (_, i) => `line ${i}`).join("\\n");
  const cookbook = await load(
    exec,
    `
configure:
  files:
    - path: /etc/app.conf
      content: "port = 8080\\n"
    - path: /etc/big.conf
      content: "${big}\\n"
    - path: /etc/key
      content: "secret\\n"
      sensitive: true
    - path: /etc/new.conf
      content: "fresh\\n"
`,
  );
  const plan = await run(cookbook, { mode: "plan", probe: exec });
  assert.deepEqual(plan.resources.map((r) => r.diff), [undefined, undefined, undefined, undefined]);
  const asked = await run(cookbook, { mode: "plan", probe: exec }, {}, { diff: true });
  assert.equal(
    asked.resources[3].diff,
    "--- /dev/null\n+++ /etc/new.conf (cookbook)\n@@ -0,0 +1 @@\n+fresh\n",
  );
  const report = await run(cookbook, { mode: "apply", exec });
  const [app, large, key, created] = report.resources.map((r) => r.diff);
  assert.match(
    app ?? "",
    /^--- \/etc\/app\.conf\n\+\+\+ \/etc\/app\.conf \(cookbook\)\n@@.*\n-port = 80\n\+port = 8080\n$/,
  );
  const lines = (large ?? "").trimEnd().split("\n");
  assert.equal(lines.length, 501);
  assert.equal(lines[500], "... (103 more lines cut)");
  assert.equal(key, "(sensitive content changed)");
  assert.equal(created, undefined, "a new file's content is in the cookbook: no diff recorded");
});

Deno.test("plan judges a file under a world-writable directory by the mode a directory resource sets first", async () => {
  const exec = machine().put("/srv/open", undefined, { mode: 0o777 });
  const cookbook = (mode: string) =>
    `configure:\n  directories:\n    - path: /srv/open\n${mode}  files:\n` +
    `    - path: /srv/open/index.html\n      content: hi\n`;
  const fixed = await run(await load(exec, cookbook('      mode: "0755"\n')), {
    mode: "plan",
    probe: exec,
  });
  assert.deepEqual(fixed.resources.map((r) => [r.id, r.status]), [
    ["directory[/srv/open]", "changed"],
    ["file[/srv/open/index.html]", "changed"],
  ]);
  const left = await run(await load(exec, cookbook("")), { mode: "plan", probe: exec });
  assert.equal(left.resources[1].status, "failed");
  assert.match(left.resources[1].error!, /"\/srv\/open" is writable by anyone/);
  assert.deepEqual(exec.writes, []);
});

Deno.test("a directory under one the run narrows from 0777 is read after it, in plan and apply", async () => {
  const exec = machine().put("/srv/open", undefined, { mode: 0o777 });
  const cookbook = await load(
    exec,
    `configure:\n  directories:\n    - path: /srv/open\n      mode: "0755"\n` +
      `    - path: /srv/open/sub/deeper\n`,
  );
  const plan = await run(cookbook, { mode: "plan", probe: exec });
  assert.deepEqual(plan.resources.map((r) => [r.id, r.status, r.error]), [
    ["directory[/srv/open]", "changed", undefined],
    ["directory[/srv/open/sub/deeper]", "changed", undefined],
  ]);
  const applied = await run(cookbook, { mode: "apply", exec });
  assert.deepEqual(applied.resources[1].changes, [
    { field: "state", before: "absent", after: "present" },
  ]);
});
