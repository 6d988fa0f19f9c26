import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import {
  ACTIVE_STATES,
  alsoUnits,
  isActive,
  LIST_UNIT_FILES_ARGV,
  listUnitFiles,
  parseShow,
  scriptName,
  showArgv,
  showUnits,
  systemdRunning,
  sysvEnabled,
  sysvSource,
  UNIT_FILE_STATES,
  unitFileRule,
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

Deno.test("unit names: a bare name is a service; scripts drop .service", () => {
  assert.equal(unitName("php8.2-fpm"), "php8.2-fpm.service");
  assert.equal(unitName("apt-daily.timer"), "apt-daily.timer");
  assert.equal(scriptName("nginx.service"), "nginx");
});

/** What each UnitFileState means for the next boot: enabled, and which way cm may change it. */
const EXPECTED_RULES: Record<string, string> = {
  enabled: "enabled, may disable",
  disabled: "disabled, may enable",
  "enabled-runtime": "disabled, may enable",
  linked: "disabled, may enable",
  "linked-runtime": "disabled, refuses enable",
  alias: "disabled, refuses enable, refuses disable",
  masked: "disabled, refuses enable",
  "masked-runtime": "disabled, refuses enable, refuses disable",
  static: "disabled, refuses enable",
  transient: "disabled, refuses enable",
  indirect: "via also",
  generated: "via source",
  bad: "via source",
  "": "disabled, refuses enable",
};

function describeRule(state: string): string {
  const rule = unitFileRule(state);
  if ("via" in rule) return `via ${rule.via}`;
  return [
    rule.enabled ? "enabled" : "disabled",
    rule.cannotEnable ? "refuses enable" : rule.enabled ? "" : "may enable",
    rule.cannotDisable ? "refuses disable" : rule.enabled ? "may disable" : "",
  ].filter((w) => w !== "").join(", ");
}

Deno.test("every UnitFileState of systemd 252-256 has a decided rule", () => {
  assert.deepEqual(Object.keys(UNIT_FILE_STATES).sort(), Object.keys(EXPECTED_RULES).sort());
  for (const [state, expected] of Object.entries(EXPECTED_RULES)) {
    assert.equal(describeRule(state), expected, state);
  }
  // A state a newer systemd invents is refused both ways, naming it.
  assert.equal(describeRule("frobbed"), "disabled, refuses enable, refuses disable");
  const rule = unitFileRule("frobbed") as { cannotEnable: string };
  assert.match(rule.cannotEnable, /UnitFileState="frobbed"/);
});

Deno.test("every ActiveState counts as running or not", () => {
  assert.deepEqual(
    Object.entries(ACTIVE_STATES).filter(([, running]) => running).map(([s]) => s).sort(),
    ["activating", "active", "refreshing", "reloading"],
  );
  for (const state of ["inactive", "failed", "deactivating", "maintenance", "auto-restart", "?"]) {
    assert.equal(isActive(state), false, state);
  }
});

Deno.test("alsoUnits reads Also= of the [Install] section only", () => {
  const text = "[Unit]\nAlso=not-me.service\n[Install]\nAlso=a.socket  b.service\nAlso = c.path\n" +
    "WantedBy=multi-user.target\n[Service]\nAlso=x\n";
  assert.deepEqual(alsoUnits(text), ["a.socket", "b.service", "c.path"]);
  assert.deepEqual(alsoUnits("[Install]\nWantedBy=x.target\n"), []);
});

Deno.test("sysvSource names the init.d script a generated unit comes from", () => {
  assert.equal(sysvSource("/etc/init.d/hello"), "hello");
  assert.equal(sysvSource("/etc/fstab"), undefined);
  assert.equal(sysvSource(undefined), undefined);
});

Deno.test("systemdRunning and sysvEnabled look only at paths", () => {
  const probe = new RecordingExecutor().put("/etc/rc2.d/S01nginx", "");
  assert.equal(systemdRunning(probe), false);
  assert.equal(sysvEnabled(probe, "nginx"), true);
  assert.equal(sysvEnabled(probe, "cron"), false);
  assert.equal(systemdRunning(probe.put("/run/systemd/system")), true);
  assert.deepEqual(probe.calls, []);
});

Deno.test("listUnitFiles reads the names of systemctl list-unit-files, throws when it fails", async () => {
  // Captured from bookworm (systemd 252).
  const stdout = "proc-sys-fs-binfmt_misc.automount      static   -\n" +
    "getty@.service                         enabled  enabled\n" +
    "nginx.service                          enabled  enabled\n";
  const probe = new RecordingExecutor().on(LIST_UNIT_FILES_ARGV, { stdout });
  assert.deepEqual(await listUnitFiles(probe), [
    "proc-sys-fs-binfmt_misc.automount",
    "getty@.service",
    "nginx.service",
  ]);
  probe.on(LIST_UNIT_FILES_ARGV, { code: 1, stderr: "Failed to connect to bus\n" });
  await assert.rejects(listUnitFiles(probe), {
    message: "systemctl list-unit-files exited 1: Failed to connect to bus",
  });
});
