import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import {
  enabledOf,
  isUnitFile,
  parseShow,
  scriptName,
  showArgv,
  showUnits,
  systemdRunning,
  sysvEnabled,
  unitName,
} from "./systemd.ts";
import { fixtures } from "./_fixtures.ts";

Deno.test("parseShow reads captured systemctl show output, one block per unit in order", () => {
  for (const f of fixtures("systemctl_show")) {
    assert.deepEqual(parseShow(f.text), f.expected, f.name);
  }
});

Deno.test("showUnits throws when systemctl fails or prints a block per unit too few", async () => {
  const probe = new RecordingExecutor().on(["systemctl", "show"], { stdout: "Id=a.service\n" });
  assert.deepEqual(await showUnits(probe, ["a.service"], "Id"), [{ Id: "a.service" }]);
  assert.deepEqual(probe.calls, [showArgv(["a.service"], "Id")]);
  await assert.rejects(showUnits(probe, ["a.service", "b.service"], "Id"), {
    message: "systemctl show exited 0: Id=a.service",
  });
  probe.on(["systemctl", "show"], { code: 1, stderr: "Failed to connect to bus\n" });
  await assert.rejects(showUnits(probe, ["a.service"], "Id"), {
    message: "systemctl show exited 1: Failed to connect to bus",
  });
});

Deno.test("unit names: a bare name is a service; scripts drop .service; unit dirs are known", () => {
  assert.equal(unitName("php8.2-fpm"), "php8.2-fpm.service");
  assert.equal(unitName("apt-daily.timer"), "apt-daily.timer");
  assert.equal(scriptName("nginx.service"), "nginx");
  assert.ok(isUnitFile("/etc/systemd/system/x.service"));
  assert.ok(!isUnitFile("/etc/systemd/system.conf"));
});

Deno.test("enabledOf: static and generated units are not governed by enable", () => {
  assert.equal(enabledOf("enabled"), true);
  assert.equal(enabledOf("masked"), false);
  assert.equal(enabledOf("static"), null);
  assert.equal(enabledOf(""), null);
});

Deno.test("systemdRunning and sysvEnabled look only at paths", () => {
  const probe = new RecordingExecutor().put("/etc/rc2.d/S01nginx", "");
  assert.equal(systemdRunning(probe), false);
  assert.equal(sysvEnabled(probe, "nginx"), true);
  assert.equal(sysvEnabled(probe, "cron"), false);
  assert.equal(systemdRunning(probe.put("/run/systemd/system")), true);
  assert.deepEqual(probe.calls, []);
});
