/**
 * Bounds on the work of one template render. A template is a program: a
 * nested loop over `range(100000)`, a macro calling itself twice, a string
 * doubled by `{% set %}` or `indent(1000000000)` would run for hours and eat
 * the memory of every node the cookbook reaches, with no error to show. The
 * hooks below count loop iterations and calls, and measure every text a
 * render builds, in nunjucks' runtime and in the code its compiler emits for
 * loops; `range`, `batch` and `slice` refuse sizes over the step limit first.
 *
 * @module
 */
// @ts-types="npm:@types/nunjucks@3.2.6"
import type nunjucksType from "nunjucks";

/** Per render: loop iterations plus calls, and UTF-16 units of any text it builds (16 Mi). */
export const RENDER_LIMITS = { steps: 1_000_000, chars: 16 * 1024 * 1024 };

/** Counts a render's work; {@link start} before each render. */
export interface Budget {
  /** Resets the counts for a new render. */
  start(): void;
  /**
   * `text` when it is within the size limit.
   * @throws {Error} naming the limit otherwise
   */
  measured<T>(text: T): T;
}

function tooLong(): Error {
  return new Error("expected a text of at most 16 MiB from a template, got more");
}

function tooMuchWork(): Error {
  return new Error(
    `expected at most ${RENDER_LIMITS.steps} loop iterations and calls in one template`,
  );
}

/** Installs the hooks into nunjucks' runtime, compiler, lib and `env`; returns their budget. */
export function limitRenders(
  nunjucks: typeof nunjucksType,
  env: nunjucksType.Environment,
): Budget {
  // deno-lint-ignore no-explicit-any
  const { runtime, compiler, lib } = nunjucks as any;
  let steps = 0;
  const step = () => {
    if (++steps > RENDER_LIMITS.steps) throw tooMuchWork();
  };
  const budget: Budget = {
    start: () => steps = 0,
    measured(text) {
      if (typeof text === "string" && text.length > RENDER_LIMITS.chars) throw tooLong();
      return text;
    },
  };
  runtime.cmLoopStep = (buffer: string) => {
    step();
    budget.measured(buffer);
  };
  const bindings = compiler.Compiler.prototype._emitLoopBindings;
  compiler.Compiler.prototype._emitLoopBindings = function (...args: unknown[]) {
    bindings.apply(this, args);
    this._emitLine(`runtime.cmLoopStep(${this.buffer});`);
  };
  const callWrap = runtime.callWrap;
  runtime.callWrap = (...args: unknown[]) => {
    step();
    return budget.measured(callWrap(...args));
  };
  const suppressValue = runtime.suppressValue;
  runtime.suppressValue = (value: unknown, escape: boolean) =>
    budget.measured(suppressValue(value, escape));
  const set = runtime.Frame.prototype.set;
  runtime.Frame.prototype.set = function (name: string, value: unknown, up: boolean) {
    return set.call(this, name, budget.measured(value), up);
  };
  const repeat = lib.repeat;
  lib.repeat = (text: string, n: number) => {
    if (n > RENDER_LIMITS.chars) throw tooLong();
    return repeat(text, n);
  };
  capCount(
    env,
    "range",
    (start: number, stop?: number, by?: number) =>
      stop === undefined ? start : (stop - start) / (by || 1),
  );
  capFilter(env, "batch");
  capFilter(env, "slice");
  return budget;
}

/** Refuses a call of global `name` whose element count (`count(...args)`) is over the step limit. */
function capCount(
  env: nunjucksType.Environment,
  name: string,
  count: (...args: never[]) => number,
): void {
  const original = env.getGlobal(name);
  env.addGlobal(name, (...args: never[]) => {
    if (count(...args) > RENDER_LIMITS.steps) throw tooMuchWork();
    return original(...args);
  });
}

/** Refuses filter `name` when its count argument (the second) is over the step limit. */
function capFilter(env: nunjucksType.Environment, name: string): void {
  const original = env.getFilter(name);
  env.addFilter(name, (value: unknown, count: number, ...rest: unknown[]) => {
    if (count > RENDER_LIMITS.steps) throw tooMuchWork();
    return original(value, count, ...rest);
  });
}
