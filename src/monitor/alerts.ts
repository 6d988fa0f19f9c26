/**
 * Alerts with de-duplication: one alert per distinct problem (by its stable
 * key) while it lasts, then one recovery alert. Each event waits in an outbox
 * until every target took it, so a target that is down gets it on a later
 * run; a failing target never throws to the caller. The state is a small
 * JSON file (mode 0600) in the state directory.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import type { AlertConfig } from "./alert_config.ts";
import { type AlertEvent, send } from "./alert_send.ts";
import { alertStateProblem } from "../state/shapes.ts";
import { isoTime } from "../iso_time.ts";

export type { AlertEvent } from "./alert_send.ts";

/** The alert state file's name in the state directory. */
export const ALERT_STATE_FILE = "alerts.json";

/** Events kept for targets that keep failing; older ones are dropped first. */
export const MAX_OUTBOX = 100;

/** A problem the caller sees now; `key` must stay the same while it lasts. */
export interface AlertProblem {
  key: string;
  severity: "critical" | "warning";
  summary: string;
  details?: string;
}

/** What is open and what is still to be delivered. */
export interface AlertState {
  open: Record<string, { severity: AlertProblem["severity"]; summary: string; since: string }>;
  outbox: { event: AlertEvent; targets: string[] }[];
}

/** One delivery: `error` is set when it failed (it stays in the outbox). */
export interface Delivery {
  target: string;
  kind: AlertEvent["kind"];
  key: string;
  error?: string;
}

/** An empty state: nothing open, nothing to deliver. */
export function emptyAlertState(): AlertState {
  return { open: {}, outbox: [] };
}

/**
 * The next state after seeing `problems` now: a problem event for each new
 * key, a recovery event for each key that is gone, each addressed to every
 * one of `targets`. Pure.
 */
export function planAlerts(
  state: AlertState,
  problems: AlertProblem[],
  targets: string[],
  host: string,
  now: Date,
): AlertState {
  const at = isoTime(now);
  const open: AlertState["open"] = {};
  const events: AlertEvent[] = [];
  for (const p of problems) {
    const was = state.open[p.key];
    open[p.key] = { severity: p.severity, summary: p.summary, since: was?.since ?? at };
    if (!was && !events.some((e) => e.key === p.key)) {
      events.push({ kind: "problem", host, at, since: at, ...p });
    }
  }
  for (const [key, was] of Object.entries(state.open)) {
    if (!(key in open)) events.push({ kind: "recovery", key, host, at, ...was });
  }
  const outbox = [...state.outbox, ...events.map((event) => ({ event, targets: [...targets] }))];
  return { open, outbox: targets.length ? outbox.slice(-MAX_OUTBOX) : [] };
}

/**
 * Delivers the outbox in order. A target that fails is not tried again in
 * this run (a dead endpoint costs one timeout, not one per event) and keeps
 * its events for the next run; targets no longer configured are forgotten.
 */
export async function deliver(
  exec: Executor,
  config: AlertConfig,
  state: AlertState,
  now = new Date(),
): Promise<{ state: AlertState; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const down = new Set<string>();
  const outbox: AlertState["outbox"] = [];
  for (const { event, targets } of state.outbox) {
    const left: string[] = [];
    for (const name of targets) {
      const target = config.targets[name];
      if (!target) continue;
      if (down.has(name)) {
        left.push(name);
        continue;
      }
      const error = await send(exec, target, event, config.timeout, now);
      deliveries.push({
        target: name,
        kind: event.kind,
        key: event.key,
        ...(error ? { error } : {}),
      });
      if (error) {
        down.add(name);
        left.push(name);
      }
    }
    if (left.length) outbox.push({ event, targets: left });
  }
  return { state: { open: state.open, outbox }, deliveries };
}

/** Reads the alert state; an absent or unreadable file, or one of another shape, counts as empty. */
export function readAlertState(probe: Probe, path: string): AlertState {
  return alertStateOf(probe.readText(path));
}

function alertStateOf(text: string | null): AlertState {
  if (text === null) return emptyAlertState();
  try {
    const value = JSON.parse(text);
    return alertStateProblem(value) ? emptyAlertState() : value;
  } catch {
    return emptyAlertState();
  }
}

/**
 * One alerting pass after a run: reads the state at `statePath`, raises the
 * events `problems` call for, delivers what is due, writes the state back
 * (0600) and returns every delivery attempted. Throws only what the Executor
 * throws writing the state file.
 */
export async function alert(
  exec: Executor,
  config: AlertConfig,
  statePath: string,
  problems: AlertProblem[],
  host: string,
  now = new Date(),
): Promise<Delivery[]> {
  const before = exec.readText(statePath);
  const planned = planAlerts(
    alertStateOf(before),
    problems,
    Object.keys(config.targets),
    host,
    now,
  );
  const { state, deliveries } = await deliver(exec, config, planned, now);
  const text = `${JSON.stringify(state, null, 2)}\n`;
  // Nothing open and nothing new is the usual run: its state would be written again as it is.
  if (before !== text) {
    exec.writeFile(statePath, new TextEncoder().encode(text), { mode: 0o600 });
  }
  return deliveries;
}
