/**
 * Services under systemd: one `systemctl show` per batch, `systemctl VERB`,
 * `daemon-reload` after changed unit files, and a look at started units until
 * they settle.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import { exitedWith, tail } from "../src/exec/output.ts";
import {
  alsoUnits,
  listUnitFiles,
  showUnits,
  sysvEnabled,
  sysvSource,
  unitFileRule,
  unitName,
} from "../src/facts/systemd.ts";
import type { ResourceContext } from "./resource.ts";
import {
  type ServiceManager,
  type ServiceState,
  type Started,
  TIMEOUT_MS,
} from "./_service_manager.ts";

/** The properties read of every unit, in one `systemctl show`. */
export const SHOW_PROPERTIES =
  "Id,LoadState,ActiveState,UnitFileState,SubState,SourcePath,FragmentPath";

/**
 * The properties read of units cm just started or restarted, to see whether
 * they stayed up: `Type` decides whether a crash right after the start is
 * still possible (simple, exec, idle), `NRestarts` reveals a crash that
 * `Restart=` already papered over.
 */
export const VERIFY_PROPERTIES =
  "Id,LoadState,ActiveState,SubState,Result,Type,NRestarts,NeedDaemonReload";

/**
 * Service types whose start job finishes as soon as the process is forked or
 * exec'd, before it had a chance to fail: they get a moment to crash.
 */
const EARLY_SUCCESS_TYPES = ["simple", "exec", "idle"];

/**
 * How long cm waits for started units to settle, in milliseconds: up to `max`
 * in all, looking every `poll` while a unit is still activating; a simple,
 * exec or idle service is looked at again `grace` after its start, in case it
 * dies right away.
 */
export const SETTLE_MS = { grace: 400, poll: 100, max: 5000 } as const;

async function read(names: string[], probe: Probe): Promise<ServiceState[]> {
  const units = names.map(unitName);
  const blocks = await showUnits(probe, units, SHOW_PROPERTIES);
  const partners = await partnerStates(blocks, probe);
  return blocks.map((props, i) => {
    // An alias acts through its unit: disabling an Alias= name removes it, and a stop
    // by that name would then fail while the unit runs on.
    const unit = props.LoadState !== "not-found" && props.Id ? props.Id : units[i];
    return {
      unit,
      found: props.LoadState !== "not-found",
      // A unit systemd keeps restarting (SubState auto-restart) is not running.
      active: props.SubState === "auto-restart" ? "auto-restart" : props.ActiveState ?? "inactive",
      ...(props.LoadState === "masked" ? { masked: true } : {}),
      unitFileState: props.UnitFileState ?? "",
      ...bootState(unit, props, probe, partners),
    };
  });
}

/** The `[Install] Also=` units of an indirect unit, from its unit file. */
function partnersOf(props: Record<string, string>, probe: Probe): string[] {
  if (props.UnitFileState !== "indirect" || !props.FragmentPath) return [];
  const text = probe.readFile(props.FragmentPath);
  return text ? alsoUnits(new TextDecoder().decode(text)) : [];
}

/** The UnitFileState of every Also= partner of the batch's indirect units: one `systemctl show`. */
async function partnerStates(
  blocks: Record<string, string>[],
  probe: Probe,
): Promise<Map<string, string>> {
  const partners = [...new Set(blocks.flatMap((props) => partnersOf(props, probe)))];
  if (partners.length === 0) return new Map();
  const shown = await showUnits(probe, partners, "Id,UnitFileState");
  return new Map(partners.map((unit, i) => [unit, shown[i].UnitFileState ?? ""]));
}

type BootState = Pick<ServiceState, "enabled" | "cannotEnable" | "cannotDisable">;

/** Whether a unit starts at the next boot, and what stands in the way of changing that. */
function bootState(
  unit: string,
  props: Record<string, string>,
  probe: Probe,
  partners: Map<string, string>,
): BootState {
  const state = props.UnitFileState ?? "";
  const rule = unitFileRule(state);
  const named = (why: string | undefined) => why?.replaceAll("NAME", unit);
  if (!("via" in rule)) {
    return {
      enabled: rule.cannotEnable && rule.cannotDisable ? null : rule.enabled,
      ...(rule.cannotEnable ? { cannotEnable: named(rule.cannotEnable) } : {}),
      ...(rule.cannotDisable ? { cannotDisable: named(rule.cannotDisable) } : {}),
    };
  }
  if (rule.via === "also") {
    const also = partnersOf(props, probe);
    if (also.length > 0) return { enabled: also.every((u) => partners.get(u) === "enabled") };
    return refused(
      "unit is enabled only through another name or instance (indirect): name that unit",
    );
  }
  // systemctl enable|disable drive systemd-sysv-install (update-rc.d) for init.d scripts.
  const script = sysvSource(props.SourcePath);
  if (script) return { enabled: sysvEnabled(probe, script) };
  return refused(
    state === "bad"
      ? `systemd cannot load the unit file (UnitFileState=bad): check it with systemd-analyze verify ${unit}`
      : `unit is made by a generator from "${props.SourcePath ?? "?"}": change that instead`,
  );
}

function refused(why: string): BootState {
  return { enabled: null, cannotEnable: why, cannotDisable: why };
}

/**
 * Runs `systemctl daemon-reload` when systemd says one of `units` needs it
 * (NeedDaemonReload: its unit file or a drop-in changed on disk); returns an
 * error text on failure. Asks on the first call of a run (a unit file edited
 * by hand, or put back by a rollback, needs it too: else every start runs the
 * old definition), then again only when something changed since the last reload.
 */
async function daemonReload(
  units: string[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<string | undefined> {
  const seen = ctx.once("service:changedWhenReloaded", () => ({ count: -1 }));
  if (ctx.changed.size === seen.count || units.length === 0) return undefined;
  let blocks: Record<string, string>[];
  try {
    blocks = await showUnits(exec, units, "Id,NeedDaemonReload");
  } catch (error) {
    return `cannot ask systemd whether it needs a daemon-reload: ${(error as Error).message}`;
  }
  if (!blocks.some((props) => props.NeedDaemonReload === "yes")) return undefined;
  seen.count = ctx.changed.size;
  const result = await exec.run(["systemctl", "daemon-reload"], { timeoutMs: TIMEOUT_MS });
  if (result.code === 0) return undefined;
  return `daemon-reload failed: ${exitedWith("systemctl", result)}`;
}

/** The tail of `systemctl status` (with its journal lines), or "" when it prints nothing. */
async function explain(exec: Executor, unit: string): Promise<string> {
  const status = await exec.run(
    ["systemctl", "status", "--no-pager", "--full", "--lines=10", "--", unit],
    { timeoutMs: 30_000 },
  );
  return status.stdout.trim() ? `\n${tail(status.stdout, 20, 2048)}` : "";
}

/** A unit in question: what was started, where it stands in the list. */
type Pending = Started & { i: number };

/**
 * The verdict on one look at a started unit: a reason it failed, `"wait"`
 * until `wakeAt` (ms), or `undefined` when it is up.
 */
function judge(
  p: Pending,
  props: Record<string, string>,
  now: number,
  deadline: number,
): string | { wakeAt: number } | undefined {
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
    return `crashing: systemd restarted it ${restarts} time${
      restarts === 1 ? "" : "s"
    } (Restart=), now ActiveState=${active}${sub.length ? ` (${sub[0]})` : ""}`;
  }
  if (active === "active" && props.NeedDaemonReload === "yes") {
    return "runs an outdated definition: its unit file changed on disk after the last daemon-reload";
  }
  if (["activating", "reloading", "deactivating"].includes(active)) {
    if (props.SubState === "auto-restart") return describe();
    if (now < deadline) return { wakeAt: now + SETTLE_MS.poll };
    return active === "deactivating" ? describe() : undefined;
  }
  if (active === "active") {
    const graceEnd = p.at + SETTLE_MS.grace;
    const early = EARLY_SUCCESS_TYPES.includes(props.Type ?? "") && now < graceEnd;
    return early ? { wakeAt: graceEnd } : undefined;
  }
  const ranOnce = props.Type === "oneshot" && active === "inactive" && props.Result === "success";
  return ranOnce ? undefined : describe();
}

/**
 * Whether each started unit stayed up: one `systemctl show` for all units
 * still in question per look; no wait beyond what a unit needs.
 */
async function settle(
  started: Started[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<(string | undefined)[]> {
  const verdicts: (string | undefined)[] = started.map(() => undefined);
  const deadline = ctx.now() + SETTLE_MS.max;
  let pending: Pending[] = started.map((s, i) => ({ ...s, i }));
  while (pending.length > 0) {
    let blocks: Record<string, string>[];
    try {
      blocks = await showUnits(exec, pending.map((p) => p.unit), VERIFY_PROPERTIES, {
        timeoutMs: 30_000,
      });
    } catch (error) {
      for (const p of pending) verdicts[p.i] = `could not be checked: ${(error as Error).message}`;
      break;
    }
    const now = ctx.now();
    const next: Pending[] = [];
    let wakeAt = deadline;
    pending.forEach((p, k) => {
      const verdict = judge(p, blocks[k], now, deadline);
      if (typeof verdict === "string") verdicts[p.i] = verdict;
      else if (verdict) {
        next.push(p);
        wakeAt = Math.min(wakeAt, verdict.wakeAt);
      }
    });
    pending = next;
    if (pending.length > 0) await ctx.sleep(Math.max(0, wakeAt - ctx.now()));
  }
  return verdicts;
}

/**
 * The verb of a handler: a service whose state the cookbook does not set is
 * only touched when running (`try-…`); a reload falls back to a restart.
 */
function refreshVerb(action: "restart" | "reload", owned: boolean): string {
  if (action === "restart") return owned ? "restart" : "try-restart";
  return owned ? "reload-or-restart" : "try-reload-or-restart";
}

/** systemd as the service manager. */
export const systemdManager: ServiceManager = {
  tool: "systemctl",
  unit: unitName,
  missing: (unit) => `unit "${unit}"`,
  read,
  known: listUnitFiles,
  prepare: daemonReload,
  command: (unit, verb) => ["systemctl", verb, "--", unit],
  explain,
  settle,
  async refresh(unit, action, owned, exec) {
    const verb = refreshVerb(action, owned);
    const result = await exec.run(["systemctl", verb, "--", unit], { timeoutMs: TIMEOUT_MS });
    return { verb, result, check: owned };
  },
};
