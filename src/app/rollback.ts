/**
 * The rollback stage: a run's snapshot put back. Resources are restored in
 * the reverse of the order they changed, kinds others come from first (apt
 * repositories: a removed package comes back from its repository); then each service a handler
 * restarted or reloaded because of a restored resource (or `state: restarted`
 * restarted) gets the same restart or reload, so it runs on the old files again; then health is
 * checked again. Used by converge when health fails after an apply
 * (`rollback: auto`) and by `cm rollback RUN_ID`.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { HealthCheck } from "../cookbook/health_schema.ts";
import type { RestoreRecord, RollbackRecord } from "../engine/report.ts";
import { runContext, type RunEvents } from "../engine/run.ts";
import { errorMessage } from "../errors.ts";
import { KIND_NAMES, kindOf, loadKinds, type ResourceKind } from "../../resources/mod.ts";
import type { Outcome } from "../../resources/resource.ts";
import type { Sleep } from "../monitor/health.ts";
import { type SnapshotManifest, snapshotsDir, snapshotStore } from "../state/snapshots.ts";
import { checkHealth } from "./verify.ts";

async function attempt(id: string, work: () => Promise<Outcome>): Promise<RestoreRecord> {
  try {
    const outcome = await work();
    return outcome.ok ? { id, ok: true } : { id, ok: false, error: outcome.error };
  } catch (error) {
    return { id, ok: false, error: errorMessage(error) };
  }
}

/** What a rollback needs besides the snapshot. */
export interface RollbackOptions {
  /** The state directory holding the snapshot's blobs. */
  stateDir: string;
  /** The health checks to run after the restore. */
  health: HealthCheck[];
  events?: RunEvents;
  sleep?: Sleep;
}

/** The kinds `manifest` names, loaded; a name cm does not know (a damaged manifest) has none. */
async function kindsOf(
  manifest: SnapshotManifest,
): Promise<(name: string) => ResourceKind | undefined> {
  const names = [...manifest.resources, ...manifest.refreshes ?? []].map((r) => r.kind);
  const known = (name: string) => KIND_NAMES.includes(name);
  await loadKinds(names.filter(known));
  return (name) => known(name) ? kindOf(name) : undefined;
}

/**
 * Restores `manifest` through `exec`, re-runs handlers for what was restored
 * and checks health; never throws for what the machine refuses: every
 * failure is in the record (a package version apt no longer offers, by name).
 */
export async function rollback(
  manifest: SnapshotManifest,
  exec: Executor,
  options: RollbackOptions,
): Promise<RollbackRecord> {
  const started = performance.now();
  const store = snapshotStore(exec, snapshotsDir(options.stateDir));
  const ctx = runContext("apply", options.events ?? {});
  const restored: RestoreRecord[] = [];
  const kindNamed = await kindsOf(manifest);
  const reversed = [...manifest.resources].reverse();
  const first = (r: { kind: string }) => kindNamed(r.kind)?.restoreFirst === true;
  for (
    const { id, kind, before } of [
      ...reversed.filter(first),
      ...reversed.filter((r) => !first(r)),
    ]
  ) {
    restored.push(
      await attempt(id, () => {
        const restore = kindNamed(kind)?.restore;
        if (!restore) {
          const why = KIND_NAMES.includes(kind) ? "has no restore" : "is not a kind cm knows";
          return Promise.resolve({ ok: false, error: `cannot restore: kind "${kind}" ${why}` });
        }
        return restore(before, exec, store, ctx);
      }),
    );
  }
  const back = new Set(restored.filter((r) => r.ok).map((r) => r.id));
  const stopped = new Set(
    manifest.resources.filter((r) => r.before.type === "service" && !r.before.active)
      .map((r) => r.id),
  );
  const refreshed: RestoreRecord[] = [];
  for (const r of manifest.refreshes ?? []) {
    if (stopped.has(r.id) || !r.triggeredBy.some((id) => back.has(id))) continue;
    refreshed.push(
      await attempt(r.id, () => {
        const refresh = kindNamed(r.kind)?.refresh;
        return refresh ? refresh(r.spec, r.action, exec, ctx) : Promise.resolve({ ok: true });
      }),
    );
  }
  const failures = refreshed.filter((r) => !r.ok).map((r) => `${r.id} failed: ${r.error}`);
  const health = await checkHealth(options.health, failures, exec, options.sleep);
  return {
    ok: health.ok && restored.every((r) => r.ok),
    runId: manifest.runId,
    restored,
    refreshed,
    health,
    durationMs: Math.round(performance.now() - started),
  };
}
