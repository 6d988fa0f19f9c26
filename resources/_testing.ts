/**
 * The {@link ResourceContext} of the kinds' unit tests: a clock that advances
 * instead of waiting, and the warnings and progress lines kept for asserts;
 * plan and converge of one spec.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import type { Change, Mode, Outcome, ResourceContext, ResourceKind, SpecBase } from "./resource.ts";

/** A test context and what the kind told it. */
export interface TestContext extends ResourceContext {
  /** Each distinct warning, in order. */
  warnings: string[];
  /** Every progress line, in order. */
  lines: string[];
  /** Milliseconds slept in all. */
  slept: number;
}

/**
 * A context for `mode` with the ids in `changed` already changed and the run's
 * `claims` (claim → kind). `sleep` advances `now()` at once, so timing logic
 * runs without waiting.
 */
export function testContext(
  mode: Mode = "apply",
  changed: string[] = [],
  claims: Record<string, string> = {},
): TestContext {
  const memos = new Map<string, unknown>();
  let clock = Date.now();
  const ctx: TestContext = {
    mode,
    changed: new Set(changed),
    claims: new Map(Object.entries(claims)),
    warnings: [],
    lines: [],
    slept: 0,
    progress: (line) => ctx.lines.push(line),
    warnOnce: (message) => {
      if (!ctx.warnings.includes(message)) ctx.warnings.push(message);
    },
    once: <T>(key: string, make: () => T): T => {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
    sleep: (ms) => {
      clock += ms;
      ctx.slept += ms;
      return Promise.resolve();
    },
    now: () => clock,
  };
  return ctx;
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
