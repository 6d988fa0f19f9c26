/**
 * Templates: the Jinja language of nunjucks (`{{ x }}`, `{% for %}`,
 * `{% if %}`, filters, `{# comments #}`, `{% raw %}`), for template files,
 * string values and `when:` conditions. Autoescaping is off (these are
 * configuration files); templates reach no file (no loader: `include`,
 * `import` and `extends` are refused) and no JavaScript internals.
 * nunjucks is imported on first use only: {@link hasMarkup} tells whether a
 * text needs it.
 *
 * @module
 */
// @ts-types="npm:@types/nunjucks@3.2.6"
import type nunjucksType from "nunjucks";
import { limitRenders } from "./_render_limits.ts";

/** A template that cannot be used; `line` and `col` (1-based) are in the template's text. */
export class TemplateError extends Error {
  constructor(message: string, readonly line: number, readonly col: number) {
    super(message);
    this.name = "TemplateError";
  }
}

/** A name a template reads from outside: `port`, `facts.os.id` (literal member chains kept). */
export interface Use {
  /** `["facts", "os", "id"]` */
  path: string[];
  /** 1-based position in the template's text. */
  line: number;
  col: number;
  /** Under `default(...)` or `is defined`: may be missing. */
  optional: boolean;
  /** Printed as it is (`{{ x }}`): must be a single value, not a list or mapping. */
  printed?: boolean;
}

/** What the engine can do once loaded. */
export interface Engine {
  /**
   * The names `text` reads, in order of appearance.
   * @throws {TemplateError} on a syntax error, an unknown filter or a reference to another template.
   */
  uses(text: string): Use[];
  /**
   * `text` rendered with `context`.
   * @throws {TemplateError} when a value is missing or a filter fails.
   */
  render(text: string, context: Record<string, unknown>): string;
}

/** Whether `text` holds template markup (`{{`, `{%`, `{#`), so needs the engine. */
export function hasMarkup(text: string): boolean {
  return /\{[{%#]/.test(text);
}

/** `when:` conditions are rendered as `{% if (COND) %}`: columns of the condition start after this. */
export const CONDITION_PREFIX = "{% if (";

/** Wraps a `when:` condition into a template that renders "true" or "". */
export function conditionTemplate(condition: string): string {
  return `${CONDITION_PREFIX}${condition}) %}true{% endif %}`;
}

let loaded: Promise<Engine> | undefined;

/** The engine, importing nunjucks the first time. */
export function loadEngine(): Promise<Engine> {
  return loaded ??= import("nunjucks").then((m) => makeEngine(m.default));
}

/** The functions nunjucks gives every template. */
const GLOBALS = ["range", "cycler", "joiner"];

const FORBIDDEN_MEMBER = /^(constructor|prototype|__.*)$/;

function makeEngine(nunjucks: typeof nunjucksType): Engine {
  // deno-lint-ignore no-explicit-any
  const runtime = (nunjucks as any).runtime;
  const memberLookup = runtime.memberLookup;
  runtime.memberLookup = (obj: unknown, name: unknown) => {
    if (typeof name === "string" && FORBIDDEN_MEMBER.test(name)) {
      throw new Error(`cannot read "${name}" in a template`);
    }
    return memberLookup(obj, name);
  };
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: true });
  const budget = limitRenders(nunjucks, env);
  const filters = (name: string) => {
    try {
      env.getFilter(name);
      return true;
    } catch {
      return false;
    }
  };
  return {
    uses(text) {
      // deno-lint-ignore no-explicit-any
      let root: any;
      try {
        // deno-lint-ignore no-explicit-any
        root = (nunjucks as any).parser.parse(text, [], {});
      } catch (error) {
        const problem = located(error);
        problem.message += " (write {% raw %}{{ ... }}{% endraw %} for literal braces)";
        throw problem;
      }
      const found: Use[] = [];
      walk(root, new Set(GLOBALS), false, found, filters);
      return found;
    },
    render(text, context) {
      try {
        budget.start();
        return budget.measured(env.renderString(text, context));
      } catch (error) {
        throw located(error);
      }
    },
  };
}

/** nunjucks' error as a TemplateError: its `[Line N, Column M]` and message, without the noise. */
function located(error: unknown): TemplateError {
  if (error instanceof TemplateError) return error;
  const text = (error as Error).message ?? String(error);
  const at = /\[Line (\d+), Column (\d+)\]/.exec(text);
  const message =
    text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("(unknown path)")).at(
      -1,
    ) ?? text;
  const clean = message.replace(/^(Template render error: |Error: |TypeError: )+/, "")
    .replace(/^attempted to output null or undefined value$/, "expected a value, got nothing")
    .replace(/^unexpected token: (.*)$/, 'unexpected "$1"');
  const { lineno, colno } = error as { lineno?: number; colno?: number };
  return new TemplateError(clean, lineno ?? Number(at?.[1] ?? 1), colno ?? Number(at?.[2] ?? 1));
}

/** Nodes that name another template: refused (templates read no files). */
const REFERENCES = new Set(["Include", "Import", "FromImport", "Extends", "Block", "Super"]);

/** Collects the free names under `node`; `bound` are the names set inside the template. */
function walk(
  // deno-lint-ignore no-explicit-any
  node: any,
  bound: Set<string>,
  optional: boolean,
  found: Use[],
  isFilter: (name: string) => boolean,
): void {
  if (!node || typeof node !== "object") return;
  const at = (n: { lineno: number; colno: number }) => ({ line: n.lineno + 1, col: n.colno + 1 });
  const type: string = node.typename;
  const recurse = (child: unknown, scope = bound, opt = optional) =>
    walk(child, scope, opt, found, isFilter);
  if (REFERENCES.has(type)) {
    const { line, col } = at(node);
    throw new TemplateError(
      `expected a self-contained template, got {% ${type.toLowerCase()} %} (templates read no other files)`,
      line,
      col,
    );
  }
  if (type === "Literal" && node.value instanceof RegExp) {
    const { line, col } = at(node);
    throw new TemplateError(
      "expected no regular expression in a template (nothing could stop one that backtracks for ever)",
      line,
      col,
    );
  }
  if (type === "Output") {
    for (const child of node.children) {
      const path = chain(child);
      if (path && !bound.has(path[0])) {
        found.push({ path, ...at(rootOf(child)), optional, printed: true });
      } else recurse(child);
    }
    return;
  }
  if (type === "Symbol" || type === "LookupVal") {
    const path = chain(node);
    if (path && !bound.has(path[0])) {
      found.push({ path, ...at(rootOf(node)), optional });
      return;
    }
    if (type === "LookupVal") {
      recurse(node.target);
      recurse(node.val);
    }
    return;
  }
  if (type === "Filter") {
    const name: string = node.name.value;
    if (!isFilter(name)) {
      const { line, col } = at(node.name);
      throw new TemplateError(`unknown filter "${name}"`, line, col);
    }
    const [first, ...rest] = node.args.children;
    recurse(first, bound, optional || name === "default" || name === "d");
    for (const arg of rest) recurse(arg);
    return;
  }
  if (type === "Is") {
    recurse(node.left, bound, true);
    return;
  }
  if (type === "For" || type === "AsyncEach" || type === "AsyncAll") {
    recurse(node.arr);
    const inner = new Set([...bound, "loop", ...names(node.name)]);
    recurse(node.body, inner);
    recurse(node.else_);
    return;
  }
  if (type === "Set") {
    recurse(node.value);
    recurse(node.body);
    for (const target of node.targets) bound.add(target.value);
    return;
  }
  if (type === "Macro") {
    bound.add(node.name.value);
    const args = node.args.children.flatMap((a: { typename: string; value: string }) =>
      a.typename === "Symbol" ? [a.value] : []
    );
    recurse(node.body, new Set([...bound, ...args, "caller"]));
    return;
  }
  for (const field of node.fields ?? []) {
    const value = node[field];
    if (Array.isArray(value)) { for (const child of value) recurse(child); }
    else recurse(value);
  }
}

/** `a.b.c` as `["a", "b", "c"]` when the lookup is a name followed by literal members. */
// deno-lint-ignore no-explicit-any
function chain(node: any): string[] | undefined {
  if (node.typename === "Symbol") return [node.value];
  if (node.typename !== "LookupVal" || node.val?.typename !== "Literal") return undefined;
  const head = chain(node.target);
  return head ? [...head, String(node.val.value)] : undefined;
}

/** The name a member chain starts from (its position is where the chain is written). */
// deno-lint-ignore no-explicit-any
function rootOf(node: any): any {
  return node.typename === "LookupVal" ? rootOf(node.target) : node;
}

/** The names a `{% for %}` binds: `x`, or `k, v`. */
// deno-lint-ignore no-explicit-any
function names(target: any): string[] {
  if (target.typename === "Symbol") return [target.value];
  return (target.children ?? []).flatMap(names);
}
