import assert from "node:assert/strict";
import { RecordingExecutor } from "./recording.ts";
import { planProbe, readOnly } from "./plan_probe.ts";

Deno.test("readOnly lets the readers' commands through", () => {
  for (
    const argv of [
      ["dpkg-query", "-W", "-f", "${Package}\\n", "nginx"],
      ["apt-cache", "policy", "nginx"],
      ["apt-cache", "showpkg", "awk"],
      ["systemctl", "show", "--property=Id", "nginx.service"],
      ["systemctl", "status", "--no-pager", "nginx.service"],
      ["systemctl", "is-enabled", "--quiet", "cm-sync.timer"],
      ["service", "nginx", "status"],
      ["hostname", "--fqdn"],
      ["git", "ls-remote", "--", "https://git.example.org/app.git", "refs/heads/main"],
      ["runuser", "-u", "app", "--", "git", "ls-remote", "--", "/srv/upstream"],
    ]
  ) assert.ok(readOnly(argv), argv.join(" "));
});

Deno.test("readOnly refuses what changes the machine", () => {
  for (
    const argv of [
      ["apt-get", "install", "nginx"],
      ["apt-cache", "gencaches"],
      ["systemctl", "restart", "nginx.service"],
      ["systemctl", "daemon-reload"],
      ["service", "nginx", "restart"],
      ["update-rc.d", "nginx", "enable"],
      ["hostname", "evil"],
      ["sh", "-c", "dpkg-query -W"],
      ["git", "fetch", "origin"],
      ["runuser", "-u", "app", "--", "git", "clone", "--", "/srv/upstream", "/srv/app"],
      ["runuser", "app", "-c", "git ls-remote /srv/upstream"],
      [],
    ]
  ) assert.ok(!readOnly(argv), argv.join(" "));
});

Deno.test("a plan probe rejects a changing command before it runs; guards go through runGuard", async () => {
  const exec = new RecordingExecutor();
  const probe = planProbe(exec);
  await assert.rejects(probe.run(["systemctl", "restart", "nginx.service"]), {
    message: 'plan refused to run "systemctl restart nginx.service": not a read-only tool',
  });
  assert.deepEqual(exec.calls, []);
  await probe.run(["systemctl", "show", "nginx.service"]);
  await probe.runGuard(["test", "-f", "/etc/x"]);
  assert.deepEqual(exec.calls, [["systemctl", "show", "nginx.service"], ["test", "-f", "/etc/x"]]);
});
