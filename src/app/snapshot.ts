/**
 * The snapshot stage of an apply: what each resource was, recorded under
 * `STATE/snapshots/<run-id>/` before the engine changes it, and the handlers
 * the run ran, so that a rollback can put everything back.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { Resource } from "../cookbook/cookbook.ts";
import type { RunReport } from "../engine/report.ts";
import { kindOf } from "../../resources/mod.ts";
import {
  pruneSnapshots,
  type SnapshotManifest,
  snapshotsDir,
  snapshotStore,
  writeManifest,
} from "../state/snapshots.ts";
import { isoTime } from "../iso_time.ts";

/** Records one run's snapshot as it goes. */
export interface SnapshotRecorder {
  /**
   * The engine's `beforeChange`: records the resources about to change,
   * manifest first on disk; returns why some could not be recorded, by id (a
   * path too long to read, a socket), so that only those are not changed.
   * @throws {StateError} when the manifest cannot be written
   */
  beforeChange(items: { resource: Resource; current: unknown }[]): Promise<Map<string, string>>;
  /** Adds the run's handlers (to run again after a restore) and prunes old snapshots. */
  finish(report: RunReport, resources: Resource[]): void;
  /** The manifest as recorded so far. */
  manifest: SnapshotManifest;
}

/** A recorder for run `runId` (of `cookbooks`, at git `commit` if synced) under `stateDir`. */
export function snapshotRecorder(
  exec: Executor,
  stateDir: string,
  runId: string,
  { commit, cookbooks }: { commit?: string; cookbooks: string[] },
): SnapshotRecorder {
  const dir = snapshotsDir(stateDir);
  const store = snapshotStore(exec, dir);
  const manifest: SnapshotManifest = {
    runId,
    createdAt: isoTime(new Date()),
    ...(commit ? { commit } : {}),
    cookbooks,
    resources: [],
  };
  return {
    manifest,
    async beforeChange(items) {
      const refused = new Map<string, string>();
      for (const { resource, current } of items) {
        const snapshot = kindOf(resource.kind).snapshot;
        if (!snapshot) continue;
        try {
          const before = await snapshot(resource.spec, current, store);
          manifest.resources.push({ id: resource.id, kind: resource.kind, before });
        } catch (error) {
          refused.set(resource.id, (error as Error).message);
        }
      }
      writeManifest(exec, dir, manifest);
      return refused;
    },
    finish(report, resources) {
      if (!manifest.resources.length) return;
      const byId = new Map(resources.map((r) => [r.id, r]));
      const handled = report.handlers.flatMap((h) => {
        const r = byId.get(h.id);
        return r
          ? [{ id: h.id, kind: r.kind, spec: r.spec, action: h.action, triggeredBy: h.triggeredBy }]
          : [];
      });
      // `state: restarted` restarted its service on this run's files: a rollback restarts it on the old ones.
      const others = (id: string) => manifest.resources.map((m) => m.id).filter((m) => m !== id);
      const restarted = report.resources.flatMap((res) => {
        const r = byId.get(res.id);
        const again = res.status === "changed" && kindOf(res.kind).refresh &&
          res.changes.some((c) => c.field === "state" && c.after === "restarted");
        return r && again
          ? [{
            id: res.id,
            kind: r.kind,
            spec: r.spec,
            action: "restart" as const,
            triggeredBy: others(res.id),
          }]
          : [];
      });
      manifest.refreshes = [...handled, ...restarted];
      writeManifest(exec, dir, manifest);
      pruneSnapshots(exec, dir, new Date(), {}, manifest);
    },
  };
}
