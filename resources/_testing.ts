/**
 * Test helpers for resource kinds: a context, and plan/converge of one spec.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import type { Change, Mode, Outcome, ResourceContext, ResourceKind, SpecBase } from "./resource.ts";

/** A context that records progress lines and warnings. */
export function testContext(
  mode: Mode = "apply",
): ResourceContext & { lines: string[]; warnings: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  return {
    mode,
    changed: new Set(),
    lines,
    warnings,
    progress: (line) => lines.push(line),
    warnOnce: (message) => warnings.push(message),
  };
}

/** The changes a plan of `spec` finds (read through the probe, then diff). */
export async function planOne<S extends SpecBase, C>(
  kind: ResourceKind<S, C>,
  spec: S,
  probe: Probe,
): Promise<Change[]> {
  const [state] = await kind.read([spec], probe, testContext("plan"));
  return kind.diff(spec, state);
}

/** Plans `spec`, applies the changes found (when any) and returns both. */
export async function convergeOne<S extends SpecBase, C>(
  kind: ResourceKind<S, C>,
  spec: S,
  exec: Executor,
  ctx: ResourceContext = testContext(),
): Promise<{ changes: Change[]; outcome: Outcome }> {
  const changes = await planOne(kind, spec, exec);
  if (!changes.length) return { changes, outcome: { ok: true } };
  const [outcome] = await kind.apply([{ spec, changes }], exec, ctx);
  return { changes, outcome };
}
