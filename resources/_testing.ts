/**
 * The {@link ResourceContext} of the kinds' unit tests: a clock that advances
 * instead of waiting, and the warnings and progress lines kept for asserts.
 *
 * @module
 */
import type { Mode, ResourceContext } from "./resource.ts";

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
