/**
 * `service`: systemd units (or init.d scripts where systemd is not running).
 *
 * A batch of services is read with one `systemctl show`. Applying runs
 * `systemctl enable|disable` then `systemctl start|stop|restart` per unit,
 * after one `systemctl daemon-reload` when a unit file changed on disk.
 * Without systemd (plain containers) cm uses `service NAME ...` and
 * `update-rc.d NAME enable|disable`, and says so once.
 *
 * Behaviour worth knowing:
 *
 * - **Started means running.** `systemctl start` succeeds as soon as a
 *   `Type=simple` service is forked, so after starting or restarting units
 *   (in `apply` and in `restart_on` / `reload_on` handlers) cm reads them
 *   again with one `systemctl show` for the whole batch: it polls while they
 *   are `activating`/`reloading`/`deactivating` (up to 5 s),
 *   gives simple/exec/idle services 400 ms after their start
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
 * - **Every UnitFileState is decided** (the table in src/facts/systemd.ts):
 *   `enabled` means enabled for the next boot (`enabled-runtime` is not).
 *   `systemctl enable|disable` converge enabled, disabled, enabled-runtime,
 *   linked, indirect units (through their `[Install] Also=` units, which
 *   decide whether they count as enabled) and init.d scripts (generated
 *   units: systemctl drives systemd-sysv-install; their rc2.d links decide).
 *   The others fail with the reason, already in the plan, before the unit is
 *   touched: `enabled: true` on a static unit (no `[Install]` section: it
 *   starts at boot only when another unit pulls it in; Puppet and Ansible
 *   call it enabled and hide a unit that will not come back after a reboot),
 *   a masked, transient or linked-runtime one; either way on an alias, a
 *   runtime-masked unit, one from another generator or a bad unit file.
 *   `enabled: false` on a static unit is already true: no change. A masked
 *   unit asked to run fails too.
 * - **daemon-reload when systemd says so.** Before touching units, cm asks
 *   systemd whether they need one (`NeedDaemonReload`, set when a unit file
 *   or drop-in changed on disk: in this run, by hand, or put back by a
 *   rollback); again only after something changed since; after a start or
 *   restart, a unit still marked so fails ("runs an outdated definition").
 * - **A unit that is not installed is stopped and disabled.** `state:
 *   stopped` and `enabled: false` hold for a unit systemd does not know
 *   (LoadState=not-found) or a missing init script: no change. Asking it to
 *   run or start at boot (or naming it with neither field) is a change that
 *   fails at apply when the unit is still missing then; when nothing earlier
 *   in the run changes (no package, no file could bring it) it already fails
 *   in the plan, with the nearest unit file's name ("did you mean
 *   \"nginx.service\"?", from `systemctl list-unit-files`).
 *
 * @module
 */
import type { ServiceSpec } from "./service_schema.ts";
export type { ServiceSpec };
import type { Executor, Probe, RunResult } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import { didYouMean } from "../src/text.ts";
import { isActive, systemdRunning, unitName } from "../src/facts/systemd.ts";
import type { Change, Outcome, ResourceContext, ResourceKind } from "./resource.ts";
import type { Before } from "./snapshot.ts";
import {
  type ServiceManager,
  type ServiceState,
  type Started,
  TIMEOUT_MS,
} from "./_service_manager.ts";
import { systemdManager } from "./_systemd_manager.ts";
import { sysvManager } from "./_sysv_manager.ts";
export type { ServiceState };
export { NO_SYSTEMD_WARNING } from "./_sysv_manager.ts";

/** The note on a change for a unit systemd does not know (it may come with a package). */
export const NOTE_NOT_FOUND = "unit not found yet";
/** The note on `state: restarted`. */
export const NOTE_EVERY_TIME = "runs every time";
/** The outcome's reason when the state read right before applying needs no change. */
export const ALREADY_DONE = "already in the desired state";

/** Verbs after which the unit must be running, and how to say it was done. */
const STARTING = ["start", "restart", "reload-or-restart"];
const DONE: Record<string, string> = {
  start: "started",
  restart: "restarted",
  "reload-or-restart": "reloaded",
  reload: "reloaded",
};

function id(spec: ServiceSpec): string {
  return `service[${spec.name}]`;
}

/** The init system in charge here: systemd when it runs, else init.d scripts. */
function managerOf(probe: Probe): ServiceManager {
  return systemdRunning(probe) ? systemdManager : sysvManager;
}

function read(specs: ServiceSpec[], probe: Probe, ctx: ResourceContext): Promise<ServiceState[]> {
  if (specs.length === 0) return Promise.resolve([]);
  // Nothing changed yet in the run (no package, no file): a unit not found now stays so.
  return readWith(managerOf(probe), specs, probe, ctx, ctx.changed.size === 0);
}

/**
 * Reads the specs' units. When a unit that is not found but wanted (to run,
 * to start at boot, or to be there) will not come in this run (`final`), it
 * gets its reason, with the nearest name the init system knows.
 */
async function readWith(
  manager: ServiceManager,
  specs: ServiceSpec[],
  probe: Probe,
  ctx: ResourceContext,
  final: boolean,
): Promise<ServiceState[]> {
  const states = await manager.read(specs.map((s) => s.name), probe, ctx);
  const wanted = (s: ServiceState, i: number) => !s.found && diffMissing(specs[i], s).length > 0;
  if (!final || !states.some(wanted)) return states;
  const names = await manager.known?.(probe) ?? [];
  return states.map((s, i) =>
    wanted(s, i) ? { ...s, unknown: notFound(manager, s.unit, names) } : s
  );
}

/**
 * Why a unit the init system does not know cannot be started or enabled.
 * Names are compared without `.service`, which would otherwise let any two
 * short names pass as typos of each other (`myap` → `dbus`).
 */
function notFound(manager: ServiceManager, unit: string, names: string[]): string {
  const stem = (name: string) => name.replace(/\.service$/, "");
  const nearStem = didYouMean(stem(unit), names.map(stem));
  const near = names.find((n) => nearStem !== undefined && stem(n) === nearStem);
  return `${manager.missing(unit)} not found${near ? `: did you mean "${near}"?` : ""}`;
}

function diffMissing(spec: ServiceSpec, current: ServiceState): Change[] {
  // A unit that is not installed is already stopped and disabled.
  const missing = (field: string, before: unknown, after: unknown): Change => ({
    field,
    before,
    after,
    ...(current.unknown ? { note: current.unknown, blocked: true } : { note: NOTE_NOT_FOUND }),
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

function diff(spec: ServiceSpec, current: ServiceState): Change[] {
  if (!current.found) return diffMissing(spec, current);
  const changes = diffEnabled(spec, current);
  const running = isActive(current.active);
  if (current.masked && (spec.state === "started" || spec.state === "restarted")) {
    changes.push({
      field: "state",
      before: "masked",
      after: spec.state,
      note: `unit is masked: cannot be started (systemctl unmask ${current.unit})`,
      blocked: true,
    });
  } else if (spec.state === "started" && !running) {
    changes.push({ field: "state", before: current.active, after: "started" });
  } else if (spec.state === "stopped" && running) {
    changes.push({ field: "state", before: current.active, after: "stopped" });
  } else if (spec.state === "restarted") {
    changes.push({
      field: "state",
      before: current.active,
      after: "restarted",
      note: NOTE_EVERY_TIME,
      everyRun: true,
    });
  }
  return changes;
}

/** The change to start at boot or not, blocked when the unit's state rules it out. */
function diffEnabled(spec: ServiceSpec, current: ServiceState): Change[] {
  if (spec.enabled === undefined || spec.enabled === current.enabled) return [];
  const cannot = spec.enabled ? current.cannotEnable : current.cannotDisable;
  if (!cannot) return [{ field: "enabled", before: current.enabled, after: spec.enabled }];
  return [{
    field: "enabled",
    before: current.unitFileState ?? current.enabled,
    after: spec.enabled,
    note: cannot,
    blocked: true,
  }];
}

/** Explains a failed verb: the tool's exit and output, and for a start the unit's status. */
async function failed(
  manager: ServiceManager,
  exec: Executor,
  unit: string,
  verb: string,
  result: RunResult,
): Promise<Outcome> {
  const more = STARTING.includes(verb) ? await manager.explain(exec, unit) : "";
  return { ok: false, error: `${verb} failed: ${exitedWith(manager.tool, result)}${more}` };
}

/** Checks started units; returns a failure per unit that did not stay up. */
async function settle(
  manager: ServiceManager,
  started: Started[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<(Outcome | undefined)[]> {
  if (started.length === 0) return [];
  const verdicts = await manager.settle(started, exec, ctx);
  const outcomes: (Outcome | undefined)[] = [];
  for (const [i, s] of started.entries()) {
    const why = verdicts[i];
    outcomes.push(
      why === undefined ? undefined : {
        ok: false,
        error: `${DONE[s.verb] ?? s.verb} but ${why}${await manager.explain(exec, s.unit)}`,
      },
    );
  }
  return outcomes;
}

/** The verb a change needs: enable/disable, start/stop/restart. */
function verbOf(change: Change): string | undefined {
  if (change.field === "enabled") return change.after ? "enable" : "disable";
  return ({ started: "start", stopped: "stop", restarted: "restart" } as Record<string, string>)[
    String(change.after)
  ];
}

/**
 * Makes one unit's changes; returns its failure, or the start to check
 * (`started`), or nothing to check.
 */
async function applyOne(
  manager: ServiceManager,
  changes: Change[],
  state: ServiceState,
  exec: Executor,
  ctx: ResourceContext,
): Promise<{ failure?: Outcome; started?: Started }> {
  if (!state.found) {
    return { failure: { ok: false, error: state.unknown ?? notFound(manager, state.unit, []) } };
  }
  const blocked = changes.find((c) => c.blocked);
  if (blocked) return { failure: { ok: false, error: blocked.note! } };
  // Boot-time setting first, then the running state (Ansible's order).
  const ordered = [
    ...changes.filter((c) => c.field === "enabled"),
    ...changes.filter((c) => c.field === "state"),
  ];
  let started: Started | undefined;
  for (const change of ordered) {
    const verb = verbOf(change);
    if (!verb) continue;
    const result = await exec.run(manager.command(state.unit, verb), { timeoutMs: TIMEOUT_MS });
    if (result.code !== 0) {
      return { failure: await failed(manager, exec, state.unit, verb, result) };
    }
    if (STARTING.includes(verb)) started = { unit: state.unit, verb, at: ctx.now() };
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
  const manager = managerOf(exec);
  const failAll = (error: string): Outcome[] =>
    items.map((item) => item.changes.length > 0 ? { ok: false, error } : { ok: true });
  const prepareError = await manager.prepare(
    todo.map((item) => manager.unit(item.spec.name)),
    exec,
    ctx,
  );
  if (prepareError) return failAll(prepareError);
  // Read again right before acting: a package or unit file may have brought the unit since the plan.
  let states: ServiceState[];
  try {
    states = await readWith(manager, todo.map((item) => item.spec), exec, ctx, true);
  } catch (error) {
    return failAll(error instanceof Error ? error.message : String(error));
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
    const { failure, started: start } = await applyOne(manager, changes, states[i], exec, ctx);
    if (failure) outcomes[index] = failure;
    else if (start) started.push({ index, start });
  }
  const checked = await settle(manager, started.map((s) => s.start), exec, ctx);
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
  const manager = managerOf(exec);
  const unit = manager.unit(spec.name);
  const prepareError = await manager.prepare([unit], exec, ctx);
  if (prepareError) return { ok: false, error: prepareError };
  const ran = await manager.refresh(unit, action, spec.state !== undefined, exec);
  if (!ran) return { ok: true };
  const { verb, result, check } = ran;
  if (result.code !== 0) return failed(manager, exec, unit, verb, result);
  if (!check) return { ok: true };
  const [outcome] = await settle(manager, [{ unit, verb, at: ctx.now() }], exec, ctx);
  return outcome ?? { ok: true };
}

/** Rollback's record of a service: whether it ran and started at boot. */
function snapshot(spec: ServiceSpec, current: ServiceState): Promise<Before> {
  return Promise.resolve({
    type: "service",
    name: spec.name,
    active: current.found && isActive(current.active),
    enabled: current.found ? current.enabled : null,
  });
}

/** Rollback: the service running (or not) and enabled (or not) as recorded. */
async function restore(before: Before, exec: Executor, ctx: ResourceContext): Promise<Outcome> {
  if (before.type !== "service") {
    return { ok: false, error: `a ${before.type} record is not a service` };
  }
  const spec: ServiceSpec = {
    name: before.name,
    state: before.active ? "started" : "stopped",
    ...(before.enabled === null ? {} : { enabled: before.enabled }),
  };
  const [current] = await read([spec], exec, ctx);
  const changes = diff(spec, current);
  if (!changes.length) return { ok: true };
  const [outcome] = await apply([{ spec, changes }], exec, ctx);
  return outcome;
}

/** The `service` resource kind. */
export const service: ResourceKind<ServiceSpec, ServiceState> = {
  name: "service",
  batches: true,
  id,
  claims: (spec) => [`unit:${unitName(spec.name)}`],
  read,
  diff,
  apply,
  refresh,
  snapshot: (spec, current) => snapshot(spec, current),
  restore: (before, exec, _store, ctx) => restore(before, exec, ctx),
};
