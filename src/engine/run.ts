/**
 * The engine: for each group of consecutive resources of one kind, read the
 * machine, diff, and (when applying) make the changes; then run handlers.
 *
 * @module
 */
import { maskStrings } from "../text.ts";
import { dirname } from "../posix_path.ts";
import { diffBudget } from "./diff_budget.ts";
import type { Executor, Probe } from "../exec/executor.ts";
import { planProbe } from "../exec/plan_probe.ts";
import { type PlannedPaths, plannedPaths } from "./planned.ts";
import type { Cookbook, Resource, TargetResolver } from "../cookbook/cookbook.ts";
import { claimsOf, secretHolders, targetResolver } from "../cookbook/cookbook.ts";
import { kindOf, loadKinds } from "../../resources/mod.ts";
import type { Change, Outcome, ResourceContext, ResourceKind } from "../../resources/resource.ts";
import { implicitRequirements, order, requirements } from "./order.ts";
import {
  type HandlerResult,
  type HealthRecord,
  newRunId,
  type PendingRefresh,
  type RefreshAction,
  type ResourceResult,
  type RollbackRecord,
  type RunReport,
  totals,
} from "./report.ts";
import { isoTime } from "../iso_time.ts";

/** Callbacks for live output while the engine works. */
export interface RunEvents {
  /** Called as each resource finishes (in a plan: is diffed). */
  result?(result: ResourceResult): void;
  /** Called as each handler finishes. */
  handler?(result: HandlerResult): void;
  /** A line of progress from long work (apt output). */
  progress?(line: string): void;
  /** Something a person should know that does not fail the run. */
  warning?(message: string): void;
  /** Health checked after an apply (src/app: verify), and again after a rollback. */
  health?(record: HealthRecord): void;
  /** A rollback finished (src/app: rollback). */
  rollback?(record: RollbackRecord): void;
}

/** Plan: read and diff only, through a probe that cannot change anything. */
export interface PlanTarget {
  /** Read and diff only. */
  mode: "plan";
  /** How the machine is read; the engine wraps it so it refuses anything but read-only tools. */
  probe: Probe;
}

/** Apply: read, diff and change through the executor. */
export interface ApplyTarget {
  /** Read, diff and change. */
  mode: "apply";
  /** The one door through which the machine is changed. */
  exec: Executor;
}

/** How to run. */
export interface RunOptions {
  /**
   * Put unified diffs of content changes into a plan's results, new files'
   * included (an apply's always get those of files that existed, to record
   * them): bounded, see ./diff_budget.ts.
   */
  diff?: boolean;
  /**
   * Asked before each resource: a reason ("interrupted by SIGTERM") stops the
   * run there. The resource at work finishes; the rest are skipped; handlers
   * for what did change still run, or the services would miss those changes.
   */
  interrupted?: () => string | undefined;
  /** The run's id (default: one made from the start time). */
  id?: string;
  /**
   * Called in an apply before each resource (or batch) is changed, with what
   * was read of it: the snapshot for rollback. It returns why some could not
   * be recorded, by resource id: those fail unchanged, the others go on; when
   * it throws, all of them fail unchanged (what cannot be put back is not changed).
   */
  beforeChange?(items: { resource: Resource; current: unknown }[]): Promise<Map<string, string>>;
  /** Handlers that failed in earlier runs, by id: due again in this one. */
  pending?: Record<string, PendingRefresh>;
}

/** Plans or applies cookbooks and returns the run report. */
export async function run(
  cookbook: Cookbook,
  target: PlanTarget | ApplyTarget,
  events: RunEvents = {},
  options: RunOptions = {},
): Promise<RunReport> {
  const started = performance.now();
  const startedAt = new Date();
  await loadKinds(cookbook.resources.map((r) => r.kind));
  // A plan's probe runs only tools that look: it cannot change the machine. It shows
  // each resource the directories earlier ones will have made safe (planned.ts).
  const planned = target.mode === "plan" ? plannedPaths(planProbe(target.probe)) : undefined;
  const probe = target.mode === "apply" ? target.exec : planned!.probe;
  const changed = new Set<string>();
  const hide = hider(cookbook.secrets ?? []);
  const shown = hidingEvents(events, hide);
  const ctx = runContext(target.mode, shown, changed, claimKinds(cookbook.resources));
  const sorted = order(cookbook.resources);
  const resolve = targetResolver(sorted);
  const implicit = implicitRequirements(sorted, resolve);
  const results = new Map<string, ResourceResult>();
  const holders = secretHolders(cookbook);
  const record = (found: ResourceResult) => {
    const r = holders.has(found.id) ? holdingSecrets(found, cookbook.secrets!) : found;
    results.set(r.id, r);
    if (r.status === "changed") changed.add(r.id);
    shown.result?.(r);
  };

  const stopAsked = stopCheck(options);
  const diffs = target.mode === "apply" || options.diff ? diffBudget() : undefined;
  for (const group of groups(sorted, resolve)) {
    const stop = await stopAsked();
    if (stop) {
      for (const r of group) record(result(r, "skipped", [], 0, stop));
      continue;
    }
    const runnable: Resource[] = [];
    for (const r of group) {
      if (r.skip) {
        record(result(r, "skipped", [], 0, r.skip));
        continue;
      }
      // What it requires must have applied; what it waits for only must not have failed
      // (a repository skipped by its `when:` holds nothing back).
      const status = (id: string) => results.get(id)?.status;
      const blocked = [
        ...requirements(r, resolve).filter((id) => ["failed", "skipped"].includes(status(id)!)),
        ...implicit(r).filter((id) => status(id) === "failed"),
      ];
      if (blocked.length && target.mode === "apply") {
        record(result(r, "skipped", [], 0, `requires ${blocked.join(", ")}, which did not apply`));
      } else runnable.push(r);
    }
    if (!runnable.length) continue;
    await runGroup(runnable, target, probe, ctx, record, { options, stopAsked, diffs, planned });
  }

  const handlers = await runHandlers(
    sorted,
    results,
    resolve,
    { target, ctx, events: shown, pending: options.pending ?? {}, hide },
  );
  const resources = sorted.map((r) => hide(results.get(r.id)!));
  const t = totals(resources, handlers);
  return {
    id: options.id ?? newRunId(startedAt),
    mode: target.mode,
    startedAt: isoTime(startedAt),
    durationMs: Math.round(performance.now() - started),
    cookbooks: cookbook.inputs.requested,
    resources,
    handlers: handlers.map(hide),
    totals: t,
    result: options.interrupted?.() ? "interrupted" : t.failed ? "failed" : "ok",
  };
}

/**
 * The result of a resource holding the node's `secrets` (see secretHolders):
 * no hash of its content, and in its `--diff` the lines removed by each hunk
 * that adds a secret masked: they held the value replaced (a rotated
 * password, a hand-edited one), which the vars file no longer names.
 */
function holdingSecrets(
  { sha256: _, ...result }: ResourceResult,
  secrets: readonly string[],
): ResourceResult {
  if (!result.diff) return result;
  const addsSecret = (line: string) =>
    line.startsWith("+") && secrets.some((secret) => line.includes(secret));
  // The file headers (---, +++) come before the first hunk (@@).
  const hunks = result.diff.split(/^(?=@@ )/m).map((hunk) => {
    if (!hunk.startsWith("@@ ") || !hunk.split("\n").some(addsSecret)) return hunk;
    return hunk.split("\n").map((line) => line.startsWith("-") ? "-***" : line).join("\n");
  });
  return { ...result, diff: hunks.join("") };
}

/** {@link maskStrings} over `secrets`, or the value itself when there are none. */
export function hider(secrets: readonly string[]): <T>(value: T) => T {
  return (value) => secrets.length ? maskStrings(value, secrets) : value;
}

/** `events` seeing results, handlers, progress and warnings through `hide`. */
export function hidingEvents(events: RunEvents, hide: <T>(value: T) => T): RunEvents {
  return {
    ...events,
    result: (r) => events.result?.(hide(r)),
    handler: (h) => events.handler?.(hide(h)),
    progress: (line) => events.progress?.(hide(line)),
    warning: (message) => events.warning?.(hide(message)),
  };
}

/**
 * The context kinds get for one run (or one rollback): live output through
 * `events`, per-run memos, the real clock. `changed` is the run's set of
 * changed ids, filled in as it goes.
 */
export function runContext(
  mode: "plan" | "apply",
  events: RunEvents,
  changed: Set<string> = new Set(),
  claims: ReadonlyMap<string, string> = new Map(),
): ResourceContext {
  const warned = new Set<string>();
  const memos = new Map<string, unknown>();
  return {
    mode,
    changed,
    claims,
    progress: (line) => events.progress?.(line),
    warnOnce: (message) => {
      if (!warned.has(message)) events.warning?.(message);
      warned.add(message);
    },
    once: <T>(key: string, make: () => T): T => {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  };
}

/** How often, at most, a long synchronous stretch lets the event loop run (ms). */
const BREATHE_MS = 10;

/**
 * `options.interrupted`, asked after letting the event loop run when
 * {@link BREATHE_MS} passed since it last did: signals are delivered there,
 * and a batch of files written synchronously would otherwise never see one.
 */
function stopCheck(options: RunOptions): () => Promise<string | undefined> {
  let breathed = performance.now();
  return async () => {
    if (performance.now() - breathed >= BREATHE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      breathed = performance.now();
    }
    return options.interrupted?.();
  };
}

/** Each claim of `resources` → the name of the kind claiming it. */
function claimKinds(resources: Resource[]): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const r of resources) for (const claim of claimsOf(r)) kinds.set(claim, r.kind);
  return kinds;
}

function result(
  r: Resource,
  status: ResourceResult["status"],
  changes: Change[],
  durationMs: number,
  error?: string,
): ResourceResult {
  return {
    id: r.id,
    kind: r.kind,
    status,
    changes,
    ...(error ? { error } : {}),
    durationMs: Math.round(durationMs * 10) / 10,
    at: `${r.at.file}:${r.at.line}:${r.at.col}`,
  };
}

/**
 * Consecutive runs of resources of the same kind, read and applied together.
 * A resource that requires an earlier member of the current run starts a new
 * one, so it is applied only after what it requires, and skipped if that failed.
 * So does one of a kind that plans its paths (`planned`) lying under an earlier
 * member's path: it is read after that member narrowed its mode (applied, or
 * noted by a plan), not against the world-writable directory there now.
 */
function groups(resources: Resource[], resolve: TargetResolver): Resource[][] {
  const out: Resource[][] = [];
  let members = new Set<string>();
  let paths = new Set<string>();
  for (const r of resources) {
    const last = out.at(-1);
    const needsEarlier = requirements(r, resolve).some((id) => members.has(id)) ||
      underPlanned(r, paths);
    if (last && last[0].kind === r.kind && !needsEarlier) last.push(r);
    else {
      out.push([r]);
      members = new Set();
      paths = new Set();
    }
    members.add(r.id);
    if (kindOf(r.kind).planned) paths.add(r.spec.path);
  }
  return out;
}

/** Whether `r`, of a kind that plans its paths, lies under one of `paths`. */
function underPlanned(r: Resource, paths: Set<string>): boolean {
  if (!paths.size || !kindOf(r.kind).planned) return false;
  for (let dir = dirname(r.spec.path); dir !== "/" && dir !== "."; dir = dirname(dir)) {
    if (paths.has(dir)) return true;
  }
  return false;
}

/**
 * What every group of a run shares: its options, the stop check, the diff
 * budget (none: no diffs), and in a plan what earlier resources will have made.
 */
interface GroupRun {
  options: RunOptions;
  stopAsked: () => Promise<string | undefined>;
  diffs?: ReturnType<typeof diffBudget>;
  planned?: PlannedPaths;
}

async function runGroup(
  group: Resource[],
  target: PlanTarget | ApplyTarget,
  probe: Probe,
  ctx: ResourceContext,
  record: (r: ResourceResult) => void,
  { options, stopAsked, diffs, planned }: GroupRun,
): Promise<void> {
  const kind = kindOf(group[0].kind);
  const started = performance.now();
  let currents: unknown[];
  try {
    currents = await kind.read(group.map((r) => r.spec), probe, ctx);
  } catch (error) {
    const message = `cannot read current state: ${(error as Error).message}`;
    for (const r of group) record(result(r, "failed", [], performance.now() - started, message));
    return;
  }
  const readMs = (performance.now() - started) / group.length;
  const pending: Pending[] = [];
  group.forEach((r, i) => {
    const current = currents[i];
    const changes = kind.diff(r.spec, current);
    if (!changes.length) {
      const sha256 = kind.fingerprint?.(r.spec, current);
      record({ ...result(r, "unchanged", [], readMs), ...(sha256 ? { sha256 } : {}) });
      return;
    }
    const diff = kind.diffText &&
      diffs?.(() => kind.diffText!(r.spec, current, options.diff === true));
    pending.push({ r, current, changes, ...(diff ? { diff } : {}) });
  });
  if (!pending.length) return;
  if (target.mode === "plan") {
    for (const p of pending) {
      const blocked = p.changes.find((c) => c.blocked);
      const made = blocked ? undefined : kind.planned?.(p.r.spec, probe);
      if (made) planned?.note(made);
      record({
        ...result(p.r, blocked ? "failed" : "changed", p.changes, readMs, blocked?.note),
        ...(p.diff ? { diff: p.diff } : {}),
      });
    }
    return;
  }
  // Kinds that batch (one apt-get transaction) get every item at once and share
  // the time; the others get one item at a time, timed and recorded on its own
  // (so the next one already sees it in ctx.changed).
  // One snapshot write for the whole group, not one per item: a first converge
  // of 10,000 files would otherwise rewrite (and fsync) a growing manifest 10,000 times.
  let refused: Map<string, string>;
  try {
    refused = await options.beforeChange?.(
      pending.map((p) => ({ resource: p.r, current: p.current })),
    ) ?? new Map();
  } catch (error) {
    refused = new Map(pending.map((p) => [p.r.id, (error as Error).message]));
  }
  const ready = pending.filter((p) => {
    const why = refused.get(p.r.id);
    if (why) record(result(p.r, "failed", [], readMs, `cannot snapshot before changing: ${why}`));
    return !why;
  });
  const chunks = kind.batches ? (ready.length ? [ready] : []) : ready.map((p) => [p]);
  for (const chunk of chunks) {
    const stop = await stopAsked();
    if (stop) {
      for (const p of chunk) record(result(p.r, "skipped", [], readMs, stop));
      continue;
    }
    const started = performance.now();
    let outcomes: Outcome[];
    try {
      outcomes = await kind.apply(
        chunk.map((p) => ({ spec: p.r.spec, changes: p.changes })),
        target.exec,
        ctx,
      );
    } catch (error) {
      outcomes = chunk.map(() => ({ ok: false as const, error: (error as Error).message }));
    }
    const ms = readMs + (performance.now() - started) / chunk.length;
    chunk.forEach((p, i) => recordApplied(p, outcomes[i], ms, record));
  }
}

/** A resource with changes to make: its current state, the changes, its diff for `--diff`. */
interface Pending {
  r: Resource;
  current: unknown;
  changes: Change[];
  diff?: string;
}

/** Records one applied resource: changed, failed, or unchanged after all. */
function recordApplied(
  p: Pending,
  outcome: Outcome,
  ms: number,
  record: (r: ResourceResult) => void,
): void {
  if (outcome.ok && outcome.unchanged) return record(result(p.r, "unchanged", [], ms));
  const sha256 = outcome.ok ? kindOf(p.r.kind).fingerprint?.(p.r.spec, p.current, true) : undefined;
  record({
    ...result(
      p.r,
      outcome.ok ? "changed" : "failed",
      p.changes,
      ms,
      outcome.ok ? undefined : outcome.error,
    ),
    ...(sha256 ? { sha256 } : {}),
    ...(p.diff ? { diff: p.diff } : {}),
  });
}

/** Where handlers run and what they report to. */
interface HandlerRun {
  target: PlanTarget | ApplyTarget;
  ctx: ResourceContext;
  events: RunEvents;
  /** Earlier runs' pending refreshes, by id as reported: masked where it held a secret. */
  pending: Record<string, PendingRefresh>;
  hide: <T>(value: T) => T;
}

/** A handler due in this run. */
interface Due {
  r: Resource;
  refresh: NonNullable<ResourceKind["refresh"]>;
  action: RefreshAction;
  triggeredBy: string[];
  /** Where its first trigger stands among the changes of the run (-1: pending from before). */
  first: number;
  pendingSince?: string;
}

/**
 * Restarts or reloads each service once, in the order its triggers changed,
 * for triggers that changed in this run (also when a later resource failed),
 * and first those still pending because they failed in an earlier run.
 * A service that was just started by this run is not restarted again.
 */
async function runHandlers(
  sorted: Resource[],
  results: Map<string, ResourceResult>,
  resolve: TargetResolver,
  { target, ctx, events, pending, hide }: HandlerRun,
): Promise<HandlerResult[]> {
  const changedOrder = sorted.map((r) => r.id).filter((id) =>
    results.get(id)?.status === "changed"
  );
  const due: Due[] = [];
  for (const r of sorted) {
    const refresh = kindOf(r.kind).refresh;
    if (!refresh) continue;
    const own = results.get(r.id);
    if (own?.status === "failed" || own?.status === "skipped") continue;
    // Just started, restarted or stopped by this run: nothing to refresh.
    if (own?.changes.some((c) => c.field === "state")) continue;
    const hits = (field: string) =>
      (r.spec[field] ?? []).map((t: string) => resolve(t)!).filter((id: string) =>
        results.get(id)?.status === "changed"
      ) as string[];
    const restart = hits("restart_on");
    const reload = hits("reload_on");
    const runs = hits("run_on");
    const earlier = pending[hide(r.id)];
    const action: RefreshAction = runs.length || earlier?.action === "run"
      ? "run"
      : restart.length || earlier?.action === "restart"
      ? "restart"
      : "reload";
    const triggeredBy = [
      ...new Set([
        ...runs.length ? runs : restart.length ? restart : reload,
        ...earlier?.triggeredBy ?? [],
      ]),
    ];
    if (!triggeredBy.length) continue;
    due.push({
      r,
      refresh,
      action,
      triggeredBy,
      first: earlier ? -1 : Math.min(...triggeredBy.map((id) => changedOrder.indexOf(id))),
      ...(earlier ? { pendingSince: earlier.since } : {}),
    });
  }
  due.sort((a, b) => a.first - b.first);
  const out: HandlerResult[] = [];
  for (const d of due) {
    const started = performance.now();
    let outcome: Outcome = { ok: true };
    if (target.mode === "apply") {
      try {
        outcome = await d.refresh(d.r.spec, d.action, target.exec, ctx);
      } catch (error) {
        outcome = { ok: false, error: (error as Error).message };
      }
    }
    const h: HandlerResult = {
      id: d.r.id,
      action: d.action,
      triggeredBy: d.triggeredBy,
      status: outcome.ok ? "changed" : "failed",
      ...(outcome.ok ? {} : { error: outcome.error }),
      durationMs: Math.round(performance.now() - started),
      ...(d.pendingSince ? { pendingSince: d.pendingSince } : {}),
    };
    out.push(h);
    events.handler?.(h);
  }
  return out;
}
