/**
 * Two cookbooks applied by hand that declare one resource differently: each
 * `cm apply` of one undoes the other (Ansible's two playbooks fighting over a
 * file), and `cm drift`, `cm health` and `cm watch`, which load every applied
 * cookbook together, refuse the pair. An apply says so when it happens.
 *
 * @module
 */
import type { RunReport } from "../engine/report.ts";
import { type ResourceState, rootsOf, type RunScope } from "./store.ts";

/**
 * A warning for each resource of `report` that another applied cookbook (a
 * root in the state other than the run's own) last declared with another
 * spec than `desired` gives it now. None for a sync (it speaks for the whole
 * node) or for resources whose spec is not recorded (sensitive ones).
 */
export function conflictingClaims(
  resources: Readonly<Record<string, ResourceState>>,
  report: RunReport,
  desired: Readonly<Record<string, string>>,
  scope: RunScope,
): string[] {
  if (scope.wholeNode) return [];
  const own = new Set(report.cookbooks);
  const warnings: string[] = [];
  for (const { id } of report.resources) {
    const before = resources[id];
    if (!before?.desired || !desired[id] || before.desired === desired[id]) continue;
    const others = rootsOf(before).filter((root) => !own.has(root));
    if (!others.length) continue;
    warnings.push(
      `${id} is declared differently by ${others.join(", ")}, applied earlier: applying ` +
        `${others.length > 1 ? "one of those" : "that"} again (or cm sync) changes it back, and ` +
        "cm drift, cm health and cm watch refuse to load them together; declare it in one " +
        "cookbook only, or the same way in each",
    );
  }
  return warnings;
}
