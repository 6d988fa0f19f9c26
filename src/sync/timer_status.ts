/**
 * What systemd says of the sync timer, for `cm status`: installed? enabled?
 * active? when does it fire next? Read with one `systemctl show` through a
 * Probe: looking cannot change anything.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { exitedWith } from "../exec/output.ts";
import { parseShow, showArgv, systemdRunning } from "../facts/systemd.ts";
import { TIMER_UNIT } from "./timer.ts";

/** The timer as systemd sees it. */
export interface TimerStatus {
  installed: boolean;
  /** UnitFileState: "enabled", "disabled"...; `null` when systemd has none (not installed). */
  unitFileState: string | null;
  /** ActiveState: "active" (waiting to fire), "inactive"...; `null` when systemd has none. */
  activeState: string | null;
  /**
   * It fired and its sync runs now (SubState "running"): systemd arms it
   * again only when the sync has ended, so `next` is `null` meanwhile.
   */
  running: boolean;
  /** When it fires next, ISO 8601 in UTC, or `null` when it is not armed. */
  next: string | null;
  /** When it last fired, ISO 8601 in UTC, or `null` when never. */
  last: string | null;
}

const PROPERTIES =
  "LoadState,UnitFileState,ActiveState,SubState,NextElapseUSecRealtime,NextElapseUSecMonotonic,LastTriggerUSec";

const MICROSECONDS: Record<string, number> = {
  us: 1,
  ms: 1e3,
  s: 1e6,
  min: 60e6,
  h: 3600e6,
  d: 86400e6,
  w: 7 * 86400e6,
  month: 2629800e6,
  y: 31557600e6,
};

/** A systemd timespan ("1d 2h 3min 4.5s", "0") in microseconds, or `null` when it is not one. */
export function parseTimespan(text: string): number | null {
  const words = text.trim().split(/\s+/);
  let total = 0;
  for (const word of words) {
    const m = /^(\d+(?:\.\d+)?)(us|ms|s|min|h|d|w|month|y)?$/.exec(word);
    if (!m) return null;
    total += Number(m[1]) * MICROSECONDS[m[2] ?? "us"];
  }
  return total;
}

/**
 * When a timer armed on the monotonic clock (OnBootSec, OnUnitActiveSec)
 * fires: `monotonic` is a timespan since boot, `uptimeSeconds` the time
 * since boot now; `null` when `monotonic` is empty or "0".
 */
export function monotonicToDate(monotonic: string, uptimeSeconds: number, now: Date): Date | null {
  const us = parseTimespan(monotonic);
  if (!us) return null;
  return new Date(now.getTime() + us / 1000 - uptimeSeconds * 1000);
}

/**
 * systemd's time as it prints it under TZ=UTC (`Mon 2026-11-30 20:05:00 UTC`)
 * in ISO 8601; any other text as it is.
 */
function isoOfSystemd(text: string): string {
  const m = /^\w{3} (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC$/.exec(text);
  return m ? `${m[1]}T${m[2]}.000Z` : text;
}

/** The status out of `systemctl show` properties (printed under TZ=UTC); `uptimeSeconds` places monotonic times. */
export function timerStatusOf(
  props: Record<string, string>,
  uptimeSeconds: number,
  now: Date,
): TimerStatus {
  // systemd says "" or "n/a" for a property without a value.
  const set = (value: string | undefined) => value && value !== "n/a" ? value : null;
  const time = (value: string | undefined) => set(value) && isoOfSystemd(value!);
  const monotonic = monotonicToDate(props.NextElapseUSecMonotonic ?? "", uptimeSeconds, now);
  return {
    installed: props.LoadState === "loaded",
    unitFileState: set(props.UnitFileState),
    activeState: set(props.ActiveState),
    running: props.SubState === "running",
    next: time(props.NextElapseUSecRealtime) ?? monotonic?.toISOString() ?? null,
    last: time(props.LastTriggerUSec),
  };
}

/**
 * Reads the sync timer's status; `uptimeSeconds` is the time since boot
 * (Deno.osUptime: Deno refuses /proc/uptime without --allow-all).
 *
 * @throws {Error} "systemd is not running ..." where sd_booted(3) would say so
 *   (a container, a chroot), without asking systemctl; "systemctl show exited N: tail"
 *   when systemctl fails
 */
export async function readTimerStatus(
  probe: Probe,
  uptimeSeconds = Deno.osUptime(),
  now = new Date(),
): Promise<TimerStatus> {
  if (!systemdRunning(probe)) {
    throw new Error(
      "systemd is not running on this machine (no /run/systemd/system): no timer runs cm",
    );
  }
  // Times in UTC, whatever the machine's zone: cm prints them in its one format.
  const result = await probe.run(showArgv([TIMER_UNIT], PROPERTIES), { env: { TZ: "UTC" } });
  const [props] = parseShow(result.stdout);
  if (result.code !== 0 || !props) throw new Error(exitedWith("systemctl show", result));
  return timerStatusOf(props, uptimeSeconds, now);
}
