/**
 * `service`: systemd units (or init.d scripts where systemd is not running).
 *
 * A batch of services is read with one `systemctl show`. Applying runs
 * `systemctl enable|disable` then `systemctl start|stop|restart` per unit,
 * after one `systemctl daemon-reload` when a unit file changed in the run.
 * Without systemd (plain containers) cm uses `service NAME ...` and
 * `update-rc.d NAME enable|disable`, and says so once.
 *
 * @module
 */
import type { ServiceSpec } from "./schemas.ts";
export type { ServiceSpec };
import type { Executor, Probe, RunResult } from "../src/exec/executor.ts";
import type { Change, Outcome, ResourceContext, ResourceKind } from "./resource.ts";
import {
  enabledOf,
  isActive,
  parseShow,
  scriptName,
  SHOW_PROPERTIES,
  systemdRunning,
  sysvEnabled,
  UNIT_DIRS,
  unitName,
} from "./_systemd.ts";
import { tail } from "./_output.ts";

/** What cm reads of one service. */
export interface ServiceState {
  manager: "systemd" | "sysv";
  /** `nginx.service` under systemd, the init.d script name otherwise. */
  unit: string;
  found: boolean;
  /** systemd's ActiveState ("active", "inactive", "failed", ...); "active"/"inactive" for init.d. */
  active: string;
  /** Starts at boot; `null` when enable/disable does not apply (static units). */
  enabled: boolean | null;
}

/** The note on a change for a unit systemd does not know (it may come with a package). */
export const NOTE_NOT_FOUND = "unit not found (yet)";
/** The note on `state: restarted`. */
export const NOTE_EVERY_TIME = "runs every time";
/** What cm says once when it manages services without systemd. */
export const NO_SYSTEMD_WARNING =
  "systemd is not running: managing services with service(8) and update-rc.d";

const TIMEOUT_MS = 5 * 60 * 1000;

/** Per run: the changed unit files a `daemon-reload` already covered. */
const reloadedFor = new WeakMap<ResourceContext, Set<string>>();

function id(spec: ServiceSpec): string {
  return `service[${spec.name}]`;
}

function systemctlShow(units: string[]): string[] {
  return ["systemctl", "show", `--property=${SHOW_PROPERTIES}`, ...units];
}

async function readSystemd(specs: ServiceSpec[], probe: Probe): Promise<ServiceState[]> {
  const units = specs.map((s) => unitName(s.name));
  const result = await probe.run(systemctlShow(units));
  const blocks = parseShow(result.stdout);
  if (result.code !== 0 || blocks.length !== units.length) {
    throw new Error(
      `${specs.map(id).join(", ")}: systemctl show exited ${result.code}: ${
        tail(result.stderr || result.stdout)
      }`,
    );
  }
  return blocks.map((props, i) => ({
    manager: "systemd",
    unit: units[i],
    found: props.LoadState !== "not-found",
    active: props.ActiveState ?? "inactive",
    enabled: enabledOf(props.UnitFileState ?? ""),
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
    const missing = (field: string, before: unknown, after: unknown): Change => ({
      field,
      before,
      after,
      note: NOTE_NOT_FOUND,
    });
    const changes: Change[] = [];
    if (spec.enabled !== undefined) changes.push(missing("enabled", null, spec.enabled));
    if (spec.state !== undefined) changes.push(missing("state", "not-found", spec.state));
    return changes.length ? changes : [missing("state", "not-found", "present")];
  }
  const changes: Change[] = [];
  if (spec.enabled !== undefined && current.enabled !== null && current.enabled !== spec.enabled) {
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
  if (state.manager === "systemd" && ["start", "restart", "reload-or-restart"].includes(verb)) {
    const status = await exec.run(
      ["systemctl", "status", "--no-pager", "--full", "--lines=5", state.unit],
      { timeoutMs: 30_000 },
    );
    if (status.stdout.trim()) error += `\n${tail(status.stdout, 8)}`;
  }
  return { ok: false, error };
}

function command(state: ServiceState, verb: string): string[] {
  if (state.manager === "systemd") return ["systemctl", verb, state.unit];
  if (verb === "enable" || verb === "disable") return ["update-rc.d", state.unit, verb];
  return ["service", state.unit, verb];
}

async function applyOne(
  spec: ServiceSpec,
  changes: Change[],
  state: ServiceState,
  exec: Executor,
): Promise<Outcome> {
  if (!state.found) {
    const what = state.manager === "systemd" ? "unit" : "init script";
    const name = state.manager === "systemd" ? state.unit : `/etc/init.d/${state.unit}`;
    return { ok: false, error: `${id(spec)}: ${what} "${name}" not found` };
  }
  // Boot-time setting first, then the running state (Ansible's order).
  const ordered = [
    ...changes.filter((c) => c.field === "enabled"),
    ...changes.filter((c) => c.field === "state"),
  ];
  for (const change of ordered) {
    const verb = change.field === "enabled"
      ? (change.after ? "enable" : "disable")
      : ({ started: "start", stopped: "stop", restarted: "restart" } as Record<string, string>)[
        String(change.after)
      ];
    if (!verb) continue;
    const result = await exec.run(command(state, verb), { timeoutMs: TIMEOUT_MS });
    if (result.code !== 0) return failed(exec, spec, verb, state, result);
  }
  return { ok: true };
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
  const outcomes: Outcome[] = [];
  for (const item of items) {
    const i = todo.indexOf(item);
    if (i < 0) {
      outcomes.push({ ok: true });
      continue;
    }
    const state = states[i];
    const changes = state.found ? diff(item.spec, state) : item.changes;
    outcomes.push(await applyOne(item.spec, changes, state, exec));
  }
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
    return result.code === 0 ? { ok: true } : failed(exec, spec, verb, state, result);
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
  return result.code === 0 ? { ok: true } : failed(exec, spec, verb, state, result);
}

/** The `service` resource kind. */
export const service: ResourceKind<ServiceSpec, ServiceState> = {
  kind: "service",
  id,
  read,
  diff,
  apply,
  refresh,
};
