import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import {
  defaultCmPath,
  installTimer,
  SERVICE_UNIT,
  serviceUnit,
  TIMER_UNIT,
  timerMismatch,
  timerUnit,
  uninstallTimer,
  WATCH_UNIT,
  watchUnit,
} from "./timer.ts";

const spec = { cmPath: "/usr/local/bin/cm", interval: 300, splay: 60 };
const dir = "/tmp/units";

/** A fake systemd: is-enabled/is-active answer per unit from what enable/disable did. */
function fakeSystemd(): RecordingExecutor {
  const exec = new RecordingExecutor();
  const enabled = new Set<string>();
  exec.on(["systemctl"], () => ({ code: 0 }));
  exec.on(["systemctl", "is-enabled"], (argv) => ({ code: enabled.has(argv.at(-1)!) ? 0 : 1 }));
  exec.on(["systemctl", "is-active"], (argv) => ({ code: enabled.has(argv.at(-1)!) ? 0 : 3 }));
  exec.on(["systemctl", "enable"], (argv) => (enabled.add(argv.at(-1)!), { code: 0 }));
  exec.on(["systemctl", "disable"], (argv) => (enabled.delete(argv.at(-1)!), { code: 0 }));
  return exec;
}

const changing = (exec: RecordingExecutor) =>
  exec.calls.filter((a) => !["is-enabled", "is-active"].includes(a[1]));

Deno.test("timer units run cm sync --once on boot and every interval with RandomizedDelaySec = splay", () => {
  const service = serviceUnit({ ...spec, syncArgs: ["--config", "/etc/cm x/config.yaml"] });
  assert.match(service, /^Type=oneshot$/m);
  // systemctl stop signals cm alone and gives the resource at work time to finish.
  assert.match(service, /^KillMode=mixed$/m);
  assert.match(service, /^TimeoutStopSec=5min$/m);
  assert.match(
    service,
    /^ExecStart=\/usr\/local\/bin\/cm sync --once --config "\/etc\/cm x\/config.yaml"$/m,
  );
  const timer = timerUnit(spec);
  for (
    const line of [
      "OnBootSec=120s",
      "OnUnitActiveSec=300s",
      "RandomizedDelaySec=60s",
      "Persistent=true",
    ]
  ) {
    assert.match(timer, new RegExp(`^${line}$`, "m"));
  }
  assert.match(timer, /^WantedBy=timers.target$/m);
  assert.match(timerUnit({ ...spec, interval: 10, splay: 2 }), /^OnBootSec=10s$/m);
});

Deno.test("timer install writes both units, reloads, enables --now; a second install changes nothing", async () => {
  const exec = fakeSystemd();
  const first = await installTimer(exec, spec, dir);
  assert.deepEqual(first.changedFiles, [`${dir}/${SERVICE_UNIT}`, `${dir}/${TIMER_UNIT}`]);
  assert.deepEqual(changing(exec), [
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", TIMER_UNIT],
  ]);
  assert.equal(exec.text(`${dir}/${TIMER_UNIT}`), timerUnit(spec));

  exec.calls.length = 0;
  exec.writes.length = 0;
  const second = await installTimer(exec, spec, dir);
  assert.deepEqual(second, { changedFiles: [], actions: [] });
  assert.deepEqual(changing(exec), []);
  assert.deepEqual(exec.writes.filter((w) => w.startsWith("write")), []);

  // A new interval rewrites the timer only and restarts the running timer.
  exec.calls.length = 0;
  const third = await installTimer(exec, { ...spec, interval: 600 }, dir);
  assert.deepEqual(third.changedFiles, [`${dir}/${TIMER_UNIT}`]);
  assert.deepEqual(changing(exec), [["systemctl", "daemon-reload"], [
    "systemctl",
    "restart",
    TIMER_UNIT,
  ]]);

  // Adding the watch service to a running timer starts the service and leaves the timer armed.
  exec.calls.length = 0;
  const watch = await installTimer(exec, { ...spec, interval: 600, watch: true }, dir);
  assert.deepEqual(watch.changedFiles, [`${dir}/${WATCH_UNIT}`]);
  assert.deepEqual(changing(exec), [
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", WATCH_UNIT],
  ]);
});

Deno.test("timer uninstall disables, removes and reloads; a second uninstall does nothing", async () => {
  const exec = fakeSystemd();
  await installTimer(exec, spec, dir);
  exec.calls.length = 0;
  const removed = await uninstallTimer(exec, dir);
  assert.deepEqual(removed.changedFiles, [`${dir}/${TIMER_UNIT}`, `${dir}/${SERVICE_UNIT}`]);
  assert.deepEqual(exec.calls, [
    ["systemctl", "disable", "--now", TIMER_UNIT],
    ["systemctl", "reset-failed", SERVICE_UNIT],
    ["systemctl", "daemon-reload"],
  ]);
  assert.equal(exec.stat(`${dir}/${TIMER_UNIT}`), null);
  exec.calls.length = 0;
  assert.deepEqual(await uninstallTimer(exec, dir), { changedFiles: [], actions: [] });
  assert.deepEqual(exec.calls, []);
});

Deno.test("timer install reports a failing systemctl instead of pretending", async () => {
  const exec = new RecordingExecutor().on(["systemctl"], {
    code: 1,
    stderr: "Failed to connect to bus",
  });
  const outcome = await installTimer(exec, spec, dir);
  assert.match(outcome.error ?? "", /systemctl daemon-reload exited 1: Failed to connect to bus/);
});

Deno.test("ExecStart uses the compiled binary, or /usr/local/bin/cm when running under deno", () => {
  assert.equal(defaultCmPath("/usr/bin/deno"), "/usr/local/bin/cm");
  assert.equal(defaultCmPath("/root/.deno/bin/deno"), "/usr/local/bin/cm");
  assert.equal(defaultCmPath("/opt/cm/cm"), "/opt/cm/cm");
});

Deno.test("timer install --watch adds the cm watch service, always restarted; uninstall removes it", async () => {
  const exec = fakeSystemd();
  const watching = { ...spec, watch: true, watchArgs: ["--state-dir", "/srv/cm"] };
  assert.match(
    watchUnit(watching),
    /^ExecStart=\/usr\/local\/bin\/cm watch --state-dir \/srv\/cm$/m,
  );
  assert.match(watchUnit(watching), /^Restart=always$/m);
  const first = await installTimer(exec, watching, dir);
  assert.deepEqual(first.changedFiles.at(-1), `${dir}/${WATCH_UNIT}`);
  assert.deepEqual(changing(exec), [
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", TIMER_UNIT],
    ["systemctl", "enable", "--now", WATCH_UNIT],
  ]);
  exec.calls.length = 0;
  assert.deepEqual(await installTimer(exec, watching, dir), { changedFiles: [], actions: [] });
  const removed = await uninstallTimer(exec, dir);
  assert.ok(removed.changedFiles.includes(`${dir}/${WATCH_UNIT}`));
  assert.deepEqual(removed.actions.slice(0, 2), [
    ["disable", "--now", TIMER_UNIT],
    ["disable", "--now", WATCH_UNIT],
  ]);
});

Deno.test("timerMismatch names an installed timer whose interval or splay differ from the config", async () => {
  const exec = fakeSystemd();
  assert.equal(timerMismatch(exec, spec, dir), undefined, "no timer installed: nothing to say");
  await installTimer(exec, spec, dir);
  assert.equal(timerMismatch(exec, spec, dir), undefined);
  assert.equal(
    timerMismatch(exec, { interval: 120, splay: 60 }, dir),
    "the installed timer runs every 300 s, splay 60 s, the configuration says every 120 s, splay 60 s: run cm timer install to apply it",
  );
});
