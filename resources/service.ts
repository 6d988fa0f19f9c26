/**
 * `service`: systemd units (or init.d scripts where systemd is not running).
 *
 * A batch of services is read with one `systemctl show`. Applying runs
 * `systemctl enable|disable` then `systemctl start|stop|restart` per unit,
 * after one `systemctl daemon-reload` when a unit file changed in the run.
 * Without systemd (plain containers) cm uses `service NAME ...` and
 * `update-rc.d NAME enable|disable`, and says so once.
 *
 * Behaviour worth knowing:
 *
 * - **Started means running.** `systemctl start` succeeds as soon as a
 *   `Type=simple` service is forked, so after starting or restarting units
 *   (in `apply` and in `restart_on` / `reload_on` handlers) cm reads them
 *   again with one `systemctl show` for the whole batch: it polls while they
 *   are `activating`/`reloading`/`deactivating` (up to {@link SETTLE}`.maxMs`),
 *   gives simple/exec/idle services {@link SETTLE}`.graceMs` after their start
 *   to crash. It fails a unit that ends `failed` or `inactive` ("started but
 *   not running: ActiveState=failed (Result=exit-code)"), or that `Restart=`
 *   already restarted (`NRestarts` > 0: "started but crashing"), adding the
 *   tail of `systemctl status` (journal lines included). A `Type=oneshot`
 *   unit that ran and exited successfully counts as started. A unit still
 *   `activating` when the time is up is accepted (systemd is still starting
 *   it); one still `deactivating` fails. Without systemd, cm runs `service
 *   NAME status` once, a moment after the start. Nothing is read again, and
 *   nothing waits, when no unit was started. Handlers that use
 *   `try-restart` (services whose `state` is not set) are not checked: cm
 *   does not own whether those run.
 * - **`enabled: true` on a static unit fails.** A unit without an
 *   `[Install]` section (UnitFileState=static) cannot be enabled; it starts
 *   at boot only when another unit pulls it in. Puppet and Ansible treat it
 *   as already enabled and say nothing, which hides a unit that will not come
 *   back after a reboot; cm shows it as a change in the plan (with the note
 *   {@link NOTE_STATIC}) and fails it at apply, before touching the unit.
 *   Remove `enabled` or add an `[Install]` section with `WantedBy=`.
 *   `enabled: false` on a static unit is already true: no change.
 * - **A unit that is not installed is stopped and disabled.** `state:
 *   stopped` and `enabled: false` hold for a unit systemd does not know
 *   (LoadState=not-found) or a missing init script: no change. Asking it to
 *   run or start at boot (or naming it with neither field) is a change that
 *   fails at apply when the unit is still missing then.
 *
 * @module
 */
import type { ServiceSpec } from "./schemas.ts";
export type { ServiceSpec };
import type { Executor, Probe, RunOptions, RunResult } from "../src/exec/executor.ts";
import type { Change, Outcome, ResourceContext, ResourceKind } from "./resource.ts";
import {
  EARLY_SUCCESS_TYPES,
  enabledOf,
  isActive,
  parseShow,
  scriptName,
  SHOW_PROPERTIES,
  systemdRunning,
  sysvEnabled,
  UNIT_DIRS,
  unitName,
  VERIFY_PROPERTIES,
} from "./_systemd.ts";
import { tail } from "../src/exec/output.ts";

/** What cm reads of one service. */
export interface ServiceState {
  manager: "systemd" | "sysv";
  /** `nginx.service` under systemd, the init.d script name otherwise. */
  unit: string;
  found: boolean;
  /**
   * systemd's ActiveState ("active", "inactive", "failed", ...), or "auto-restart" for a unit in a
   * crash loop; "active"/"inactive" for init.d.
   */
  active: string;
  /** Starts at boot; `null` when enable/disable does not apply (static units). */
  enabled: boolean | null;
  /** systemd's UnitFileState ("enabled", "static", ...); absent for init.d. */
  unitFileState?: string;
}

/** The note on a change for a unit systemd does not know (it may come with a package). */
export const NOTE_NOT_FOUND = "unit not found (yet)";
/** The note on `state: restarted`. */
export const NOTE_EVERY_TIME = "runs every time";
/** The note on `enabled: true` for a unit without an `[Install]` section. */
export const NOTE_STATIC = "unit has no [Install] section (static): cannot be enabled";
/** The outcome's reason when the state read right before applying needs no change. */
export const ALREADY_DONE = "already in the desired state";
/** What cm says once when it manages services without systemd. */
export const NO_SYSTEMD_WARNING =
  "systemd is not running: managing services with service(8) and update-rc.d";

const TIMEOUT_MS = 5 * 60 * 1000;

/**
 * How long cm waits for started units to settle: up to `maxMs` in all,
 * polling every `pollMs` while a unit is still activating; a simple, exec or
 * idle service (and an init script) is looked at again `graceMs` after its
 * start, in case it dies right away. Tests shorten these.
 */
export const SETTLE = { graceMs: 400, pollMs: 100, maxMs: 5000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Per run: the changed unit files a `daemon-reload` already covered. */
const reloadedFor = new WeakMap<ResourceContext, Set<string>>();

function id(spec: ServiceSpec): string {
  return `service[${spec.name}]`;
}

/**
 * One `systemctl show` of `properties` for every unit: a block of properties
 * per unit, in order, or why it could not be read.
 */
async function showUnits(
  probe: Probe,
  units: string[],
  properties: string,
  options: RunOptions = {},
): Promise<Record<string, string>[] | { error: string }> {
  const result = await probe.run(
    ["systemctl", "show", `--property=${properties}`, ...units],
    options,
  );
  const blocks = parseShow(result.stdout);
  if (result.code === 0 && blocks.length === units.length) return blocks;
  return { error: `systemctl show exited ${result.code}: ${tail(result.stderr || result.stdout)}` };
}

async function readSystemd(specs: ServiceSpec[], probe: Probe): Promise<ServiceState[]> {
  const units = specs.map((s) => unitName(s.name));
  const blocks = await showUnits(probe, units, SHOW_PROPERTIES);
  if ("error" in blocks) throw new Error(`${specs.map(id).join(", ")}: ${blocks.error}`);
  return blocks.map((props, i) => ({
    manager: "systemd",
    unit: units[i],
    found: props.LoadState !== "not-found",
    // A unit systemd keeps restarting (SubState auto-restart) is not running.
    active: props.SubState === "auto-restart" ? "auto-restart" : props.ActiveState ?? "inactive",
    enabled: enabledOf(props.UnitFileState ?? ""),
    unitFileState: props.UnitFileState ?? "",
  }));
}

async function readSysv(specs: ServiceSpec[], probe: Probe): Promise<ServiceState[]> {
  const states: ServiceState[] = [];
  for (const spec of specs) {
    const script = scriptName(spec.name);
    if (!probe.stat(`/etc/init.d/${script}`)) {
      states.push({
        manager: "sysv",
        unit: script,
        found: false,
        active: "inactive",
        enabled: false,
      });
      continue;
    }
    const status = await probe.run(["service", script, "status"], { timeoutMs: TIMEOUT_MS });
    states.push({
      manager: "sysv",
      unit: script,
      found: true,
      active: status.code === 0 ? "active" : "inactive",
      enabled: sysvEnabled(probe, script),
    });
  }
  return states;
}

function read(specs: ServiceSpec[], probe: Probe, ctx: ResourceContext): Promise<ServiceState[]> {
  if (specs.length === 0) return Promise.resolve([]);
  if (systemdRunning(probe)) return readSystemd(specs, probe);
  ctx.warnOnce(NO_SYSTEMD_WARNING);
  return readSysv(specs, probe);
}

function diff(spec: ServiceSpec, current: ServiceState): Change[] {
  if (!current.found) {
    // A unit that is not installed is already stopped and disabled.
    const missing = (field: string, before: unknown, after: unknown): Change => ({
      field,
      before,
      after,
      note: NOTE_NOT_FOUND,
    });
    const changes: Change[] = [];
    if (spec.enabled === true) changes.push(missing("enabled", null, true));
    if (spec.state === "started" || spec.state === "restarted") {
      changes.push(missing("state", "not-found", spec.state));
    }
    if (spec.enabled === undefined && spec.state === undefined) {
      changes.push(missing("state", "not-found", "present"));
    }
    return changes;
  }
  const changes: Change[] = [];
  if (spec.enabled === true && current.unitFileState === "static") {
    changes.push({ field: "enabled", before: "static", after: true, note: NOTE_STATIC });
  } else if (
    spec.enabled !== undefined && current.enabled !== null && current.enabled !== spec.enabled
  ) {
    changes.push({ field: "enabled", before: current.enabled, after: spec.enabled });
  }
  const running = isActive(current.active);
  if (spec.state === "started" && !running) {
    changes.push({ field: "state", before: current.active, after: "started" });
  } else if (spec.state === "stopped" && running) {
    changes.push({ field: "state", before: current.active, after: "stopped" });
  } else if (spec.state === "restarted") {
    changes.push({
      field: "state",
      before: current.active,
      after: "restarted",
      note: NOTE_EVERY_TIME,
    });
  }
  return changes;
}

function unitFileOf(changedId: string): string | undefined {
  const path = /^file\[(\/.+)\]$/.exec(changedId)?.[1];
  return path && UNIT_DIRS.some((dir) => path.startsWith(`${dir}/`)) ? path : undefined;
}

/**
 * Runs `systemctl daemon-reload` when a unit file changed in this run since
 * the last reload (in practice once per run); returns an error text on failure.
 */
async function daemonReload(exec: Executor, ctx: ResourceContext): Promise<string | undefined> {
  const covered = reloadedFor.get(ctx) ?? new Set<string>();
  reloadedFor.set(ctx, covered);
  const pending = [...ctx.changed].filter((c) => unitFileOf(c) && !covered.has(c));
  if (pending.length === 0) return undefined;
  for (const c of pending) covered.add(c);
  const result = await exec.run(["systemctl", "daemon-reload"], { timeoutMs: TIMEOUT_MS });
  if (result.code === 0) return undefined;
  return `daemon-reload failed: systemctl exited ${result.code}: ${tail(result.stderr)}`;
}

/** The tail of `systemctl status` (with its journal lines), or "" when it prints nothing. */
async function statusTail(exec: Executor, unit: string): Promise<string> {
  const status = await exec.run(
    ["systemctl", "status", "--no-pager", "--full", "--lines=10", unit],
    { timeoutMs: 30_000 },
  );
  return status.stdout.trim() ? `\n${tail(status.stdout, 20, 2048)}` : "";
}

/** Explains a failed start or restart: systemctl's stderr and the status with its journal tail. */
async function failed(
  exec: Executor,
  spec: ServiceSpec,
  verb: string,
  state: ServiceState,
  result: RunResult,
): Promise<Outcome> {
  const tool = state.manager === "systemd" ? "systemctl" : "service";
  let error = `${id(spec)}: ${verb} failed: ${tool} exited ${result.code}: ${
    tail(result.stderr || result.stdout)
  }`;
  if (state.manager === "systemd" && STARTING.includes(verb)) {
    error += await statusTail(exec, state.unit);
  }
  return { ok: false, error };
}

/** Verbs after which the unit must be running, and how to say it was done. */
const STARTING = ["start", "restart", "reload-or-restart"];
const DONE: Record<string, string> = {
  start: "started",
  restart: "restarted",
  "reload-or-restart": "reloaded",
  reload: "reloaded",
};

/** A unit cm just started (or restarted), to be checked. */
interface Started {
  spec: ServiceSpec;
  unit: string;
  verb: string;
  /** `performance.now()` when the start command returned. */
  at: number;
}

/**
 * Whether each started unit stayed up: `undefined` when it did, otherwise
 * what went wrong, to follow "started but " ("not running: ActiveState=failed
 * (Result=exit-code)"). One `systemctl show`
 * for all units still in question per look; no wait beyond what a unit needs.
 */
async function settleSystemd(started: Started[], exec: Executor): Promise<(string | undefined)[]> {
  const verdicts: (string | undefined)[] = started.map(() => undefined);
  const deadline = performance.now() + SETTLE.maxMs;
  let pending = started.map((s, i) => ({ ...s, i }));
  while (pending.length > 0) {
    const units = pending.map((p) => p.unit);
    const blocks = await showUnits(exec, units, VERIFY_PROPERTIES, { timeoutMs: 30_000 });
    if ("error" in blocks) {
      for (const p of pending) verdicts[p.i] = `could not be checked: ${blocks.error}`;
      break;
    }
    const now = performance.now();
    const next: typeof pending = [];
    let wakeAt = deadline;
    pending.forEach((p, k) => {
      const props = blocks[k];
      const active = props.ActiveState ?? "";
      const restarts = Number(props.NRestarts ?? "0");
      const sub = props.SubState && props.SubState !== active ? [`SubState=${props.SubState}`] : [];
      const describe = () =>
        `not running: ActiveState=${active || "?"} (${
          [...sub, `Result=${props.Result ?? "?"}`].join(", ")
        })`;
      // Restart= brought it back after a crash: it did not stay up. (A reload
      // starts nothing, so an old count says nothing about it.)
      if (p.verb !== "reload-or-restart" && restarts > 0) {
        verdicts[p.i] = `crashing: systemd restarted it ${restarts} time${
          restarts === 1 ? "" : "s"
        } (Restart=), now ActiveState=${active}${sub.length ? ` (${sub[0]})` : ""}`;
      } else if (["activating", "reloading", "deactivating"].includes(active)) {
        if (props.SubState === "auto-restart") verdicts[p.i] = describe();
        else if (now < deadline) {
          next.push(p);
          wakeAt = Math.min(wakeAt, now + SETTLE.pollMs);
        } else if (active === "deactivating") verdicts[p.i] = describe();
      } else if (active === "active") {
        const graceEnd = p.at + SETTLE.graceMs;
        if (EARLY_SUCCESS_TYPES.includes(props.Type ?? "") && now < graceEnd) {
          next.push(p);
          wakeAt = Math.min(wakeAt, graceEnd);
        }
      } else if (
        !(props.Type === "oneshot" && active === "inactive" && props.Result === "success")
      ) {
        verdicts[p.i] = describe();
      }
    });
    pending = next;
    if (pending.length > 0) await sleep(Math.max(0, wakeAt - performance.now()));
  }
  return verdicts;
}

/** After an init script's start: one `service NAME status`, a moment later. */
async function settleSysv(started: Started[], exec: Executor): Promise<(string | undefined)[]> {
  if (started.length === 0) return [];
  const last = Math.max(...started.map((s) => s.at));
  await sleep(Math.max(0, last + SETTLE.graceMs - performance.now()));
  const verdicts: (string | undefined)[] = [];
  for (const s of started) {
    const status = await exec.run(["service", s.unit, "status"], { timeoutMs: TIMEOUT_MS });
    const out = tail(status.stdout || status.stderr);
    verdicts.push(
      status.code === 0
        ? undefined
        : `not running: service ${s.unit} status exited ${status.code}${out ? `: ${out}` : ""}`,
    );
  }
  return verdicts;
}

/** Checks started units; returns a failure per unit that did not stay up. */
async function settle(
  started: Started[],
  manager: ServiceState["manager"],
  exec: Executor,
): Promise<(Outcome | undefined)[]> {
  if (started.length === 0) return [];
  const verdicts = manager === "systemd"
    ? await settleSystemd(started, exec)
    : await settleSysv(started, exec);
  const outcomes: (Outcome | undefined)[] = [];
  for (const [i, s] of started.entries()) {
    const why = verdicts[i];
    if (why === undefined) {
      outcomes.push(undefined);
      continue;
    }
    let error = `${id(s.spec)}: ${DONE[s.verb] ?? s.verb} but ${why}`;
    if (manager === "systemd") error += await statusTail(exec, s.unit);
    outcomes.push({ ok: false, error });
  }
  return outcomes;
}

function command(state: ServiceState, verb: string): string[] {
  if (state.manager === "systemd") return ["systemctl", verb, state.unit];
  if (verb === "enable" || verb === "disable") return ["update-rc.d", state.unit, verb];
  return ["service", state.unit, verb];
}

/**
 * Makes one unit's changes; returns its failure, or the start to check
 * (`started`), or nothing to check.
 */
async function applyOne(
  spec: ServiceSpec,
  changes: Change[],
  state: ServiceState,
  exec: Executor,
): Promise<{ failure?: Outcome; started?: Started }> {
  if (!state.found) {
    const what = state.manager === "systemd" ? "unit" : "init script";
    const name = state.manager === "systemd" ? state.unit : `/etc/init.d/${state.unit}`;
    return { failure: { ok: false, error: `${id(spec)}: ${what} "${name}" not found` } };
  }
  if (changes.some((c) => c.field === "enabled" && c.before === "static")) {
    return {
      failure: {
        ok: false,
        error: `${id(spec)}: cannot enable: unit has no [Install] section (static)`,
      },
    };
  }
  // Boot-time setting first, then the running state (Ansible's order).
  const ordered = [
    ...changes.filter((c) => c.field === "enabled"),
    ...changes.filter((c) => c.field === "state"),
  ];
  let started: Started | undefined;
  for (const change of ordered) {
    const verb = change.field === "enabled"
      ? (change.after ? "enable" : "disable")
      : ({ started: "start", stopped: "stop", restarted: "restart" } as Record<string, string>)[
        String(change.after)
      ];
    if (!verb) continue;
    const result = await exec.run(command(state, verb), { timeoutMs: TIMEOUT_MS });
    if (result.code !== 0) return { failure: await failed(exec, spec, verb, state, result) };
    if (STARTING.includes(verb)) started = { spec, unit: state.unit, verb, at: performance.now() };
  }
  return { started };
}

async function apply(
  items: { spec: ServiceSpec; changes: Change[] }[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<Outcome[]> {
  const todo = items.filter((item) => item.changes.length > 0);
  if (todo.length === 0) return items.map(() => ({ ok: true }));
  const systemd = systemdRunning(exec);
  if (systemd) {
    const reloadError = await daemonReload(exec, ctx);
    if (reloadError) {
      return items.map((item) =>
        item.changes.length > 0
          ? { ok: false, error: `${id(item.spec)}: ${reloadError}` }
          : { ok: true }
      );
    }
  } else ctx.warnOnce(NO_SYSTEMD_WARNING);
  // Read again right before acting: a package or unit file may have brought the unit since the plan.
  const specs = todo.map((item) => item.spec);
  let states: ServiceState[];
  try {
    states = systemd ? await readSystemd(specs, exec) : await readSysv(specs, exec);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return items.map((item) =>
      item.changes.length > 0 ? { ok: false, error: message } : { ok: true }
    );
  }
  const outcomes: Outcome[] = items.map(() => ({ ok: true }));
  const started: { index: number; start: Started }[] = [];
  for (const [index, item] of items.entries()) {
    const i = todo.indexOf(item);
    if (i < 0) continue;
    const changes = diff(item.spec, states[i]);
    if (changes.length === 0) {
      outcomes[index] = { ok: true, unchanged: ALREADY_DONE };
      continue;
    }
    const { failure, started: start } = await applyOne(item.spec, changes, states[i], exec);
    if (failure) outcomes[index] = failure;
    else if (start) started.push({ index, start });
  }
  const checked = await settle(
    started.map((s) => s.start),
    systemd ? "systemd" : "sysv",
    exec,
  );
  checked.forEach((outcome, k) => {
    if (outcome) outcomes[started[k].index] = outcome;
  });
  return outcomes;
}

/**
 * Handlers. A service declared `stopped` stays stopped. With `state` omitted
 * cm does not own whether it runs, so only a running service is touched
 * (`try-restart`, `try-reload-or-restart`). Otherwise `restart`, and for a
 * reload `reload-or-restart`: a unit that cannot reload is restarted, which
 * still picks up the new configuration.
 */
async function refresh(
  spec: ServiceSpec,
  action: "restart" | "reload",
  exec: Executor,
  ctx: ResourceContext,
): Promise<Outcome> {
  if (spec.state === "stopped") return { ok: true };
  // `restarted` already restarted it in this run.
  if (spec.state === "restarted" && ctx.changed.has(id(spec))) return { ok: true };
  const owned = spec.state !== undefined;
  if (systemdRunning(exec)) {
    const reloadError = await daemonReload(exec, ctx);
    if (reloadError) return { ok: false, error: `${id(spec)}: ${reloadError}` };
    const verb = action === "restart"
      ? (owned ? "restart" : "try-restart")
      : (owned ? "reload-or-restart" : "try-reload-or-restart");
    const state: ServiceState = {
      manager: "systemd",
      unit: unitName(spec.name),
      found: true,
      active: "",
      enabled: null,
    };
    const result = await exec.run(command(state, verb), { timeoutMs: TIMEOUT_MS });
    if (result.code !== 0) return failed(exec, spec, verb, state, result);
    if (!owned) return { ok: true };
    const [outcome] = await settle(
      [{ spec, unit: state.unit, verb, at: performance.now() }],
      "systemd",
      exec,
    );
    return outcome ?? { ok: true };
  }
  ctx.warnOnce(NO_SYSTEMD_WARNING);
  const script = scriptName(spec.name);
  const state: ServiceState = {
    manager: "sysv",
    unit: script,
    found: true,
    active: "",
    enabled: null,
  };
  if (!owned) {
    const status = await exec.run(["service", script, "status"], { timeoutMs: TIMEOUT_MS });
    if (status.code !== 0) return { ok: true };
  }
  let verb: string = action;
  let result = await exec.run(command(state, verb), { timeoutMs: TIMEOUT_MS });
  if (result.code !== 0 && action === "reload") {
    // Many init scripts have no reload: a restart still applies the new configuration.
    verb = "restart";
    result = await exec.run(command(state, verb), { timeoutMs: TIMEOUT_MS });
  }
  if (result.code !== 0) return failed(exec, spec, verb, state, result);
  const [outcome] = await settle(
    [{ spec, unit: script, verb, at: performance.now() }],
    "sysv",
    exec,
  );
  return outcome ?? { ok: true };
}

/** The `service` resource kind. */
export const service: ResourceKind<ServiceSpec, ServiceState> = {
  kind: "service",
  batches: true,
  id,
  read,
  diff,
  apply,
  refresh,
};
