/**
 * Drift in a run: a resource that changed although the cookbooks asked for
 * the same as in the last run, which had left it converged. Only someone
 * changing the machine outside cm explains that, so it is marked on the
 * result before the report is recorded, and stays visible once repaired.
 *
 * @module
 */
import { sha256Hexes } from "../digest.ts";
import { type Cookbook, secretHolders } from "../cookbook/cookbook.ts";
import type { ResourceResult, RunReport } from "../engine/report.ts";
import type { ResourceState } from "./store.ts";

/**
 * sha256 (hex) of each resource's loaded spec, by resource id: what the
 * cookbooks ask for. Sensitive resources, and those holding a value of the
 * node's vars file, get none (so no drift mark): a hash of a short secret can
 * be brute-forced, and the state must not hold one.
 */
export async function desiredDigests(cookbook: Cookbook): Promise<Record<string, string>> {
  const holders = secretHolders(cookbook);
  const wanted = cookbook.resources.filter((r) => !r.spec.sensitive && !holders.has(r.id));
  const digests = await sha256Hexes(wanted.map((r) => JSON.stringify(r.spec)));
  return Object.fromEntries(wanted.map((r, i) => [r.id, digests[i]]));
}

/**
 * Sets `drift` on each changed result of `report` whose desired digest (and
 * content fingerprint, for kinds with one) equals the one recorded for it in
 * `previous` by a run that left it changed or unchanged, unless every change
 * is one made on every run (`everyRun`), or one a guard asked for again after
 * the last run made it (`guarded`). Returns their ids.
 */
export function markDrift(
  report: RunReport,
  previous: Readonly<Record<string, ResourceState>>,
  desired: Readonly<Record<string, string>>,
): string[] {
  const drifted: string[] = [];
  for (const r of report.resources) {
    const was = previous[r.id];
    if (r.status !== "changed" || !was?.desired || was.desired !== desired[r.id]) continue;
    if (was.status !== "changed" && was.status !== "unchanged") continue;
    if (r.sha256 !== was.sha256) continue;
    if (everyRunOnly(r)) continue;
    // A command that ran last time and runs again did not make its guard pass: no one else's doing.
    if (was.status === "changed" && r.changes.length && r.changes.every((c) => c.guarded)) continue;
    r.drift = true;
    drifted.push(r.id);
  }
  return drifted;
}

/**
 * What a plan of the applied cookbooks (`cm drift`) finds drifted: its
 * changed results, but those whose every change is made on every run.
 */
export function plannedDrift(plan: RunReport): ResourceResult[] {
  return plan.resources.filter((r) => r.status === "changed" && !everyRunOnly(r));
}

/** Whether every change of `r` is one made on every run (`everyRun`): never a sign of drift. */
function everyRunOnly(r: ResourceResult): boolean {
  return r.changes.length > 0 && r.changes.every((c) => c.everyRun);
}
