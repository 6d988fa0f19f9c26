import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { timerLine } from "../cli/status.ts";
import { monotonicToDate, parseTimespan, readTimerStatus, timerStatusOf } from "./timer_status.ts";

Deno.test("systemd timespans parse to microseconds; other text is refused", () => {
  assert.equal(parseTimespan("1d 2h 3min 4.5s"), (86400 + 7200 + 180 + 4.5) * 1e6);
  assert.equal(parseTimespan("0"), 0);
  assert.equal(parseTimespan("500ms"), 500e3);
  assert.equal(parseTimespan("soon"), null);
});

Deno.test("a timer armed on the monotonic clock fires at boot time plus its timespan", () => {
  const now = new Date("2026-11-30T20:00:00.000Z");
  // Up for 1 h; next elapse 1 h 5 min after boot: in 5 minutes.
  assert.equal(
    monotonicToDate("1h 5min", 3600, now)?.toISOString(),
    "2026-11-30T20:05:00.000Z",
  );
  assert.equal(monotonicToDate("0", 3600, now), null);
  assert.equal(monotonicToDate("", 3600, now), null);
});

Deno.test("timer status prefers the realtime next elapse, in ISO 8601, and knows a unit that is not there", () => {
  const now = new Date("2026-11-30T20:00:00.000Z");
  assert.deepEqual(
    timerStatusOf(
      {
        LoadState: "loaded",
        UnitFileState: "enabled",
        ActiveState: "active",
        NextElapseUSecRealtime: "Mon 2026-11-30 20:05:00 UTC",
        NextElapseUSecMonotonic: "0",
        LastTriggerUSec: "Mon 2026-11-30 19:55:00 UTC",
      },
      3600,
      now,
    ),
    {
      installed: true,
      unitFileState: "enabled",
      activeState: "active",
      running: false,
      next: "2026-11-30T20:05:00.000Z",
      last: "2026-11-30T19:55:00.000Z",
    },
  );
  const missing = timerStatusOf(
    { LoadState: "not-found", UnitFileState: "", ActiveState: "inactive", LastTriggerUSec: "n/a" },
    0,
    now,
  );
  assert.equal(missing.installed, false);
  assert.equal(missing.unitFileState, null, "null, not an empty string, in cm status --json");
  assert.equal(missing.last, null);
});

Deno.test("a timer whose sync runs now is running, not 'not armed'", () => {
  const props = {
    LoadState: "loaded",
    UnitFileState: "enabled",
    ActiveState: "active",
    SubState: "running",
    NextElapseUSecRealtime: "",
    NextElapseUSecMonotonic: "0",
  };
  const status = timerStatusOf(props, 3600, new Date("2026-11-30T20:00:00.000Z"));
  assert.deepEqual([status.running, status.next], [true, null]);
  assert.equal(timerLine(status), "enabled, active; running now (armed again when this sync ends)");
  assert.equal(timerLine({ ...status, running: false }), "enabled, active; not armed: no next run");
});

Deno.test("reading the timer is one systemctl show, and its failure is an error", async () => {
  const exec = new RecordingExecutor().put("/run/systemd/system").on(["systemctl", "show"], {
    code: 0,
    stdout: "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n" +
      "NextElapseUSecRealtime=\nNextElapseUSecMonotonic=2h\nLastTriggerUSec=n/a\n",
  });
  const now = new Date("2026-11-30T20:00:00.000Z");
  const status = await readTimerStatus(exec, 3600.5, now);
  assert.equal(status.next, "2026-11-30T20:59:59.500Z");
  assert.equal(exec.calls.length, 1);
  const down = new RecordingExecutor().put("/run/systemd/system").on(["systemctl"], {
    code: 1,
    stderr: "System has not been booted with systemd\n",
  });
  await assert.rejects(
    readTimerStatus(down),
    /systemctl show exited 1: System has not been booted/,
  );
});

Deno.test("without systemd running, the timer is unknown for that reason, and systemctl is not asked", async () => {
  const exec = new RecordingExecutor().on(["systemctl"], {
    code: 1,
    stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n",
  });
  await assert.rejects(
    readTimerStatus(exec),
    /^Error: systemd is not running on this machine \(no \/run\/systemd\/system\): no timer runs cm$/,
  );
  assert.equal(exec.calls.length, 0);
});
