/**
 * Makes V8 compile cm's own functions as a bundle chunk loads, instead of
 * each on its first call: every run calls most of them once, and a function
 * compiled lazily is compiled again by every run, as Deno's code cache holds
 * only what was compiled with the module. V8 compiles a parenthesised
 * function expression eagerly (its "PIFE" heuristic), so each top-level
 * `function f(...) {...}` that esbuild took from `src/`, `resources/` or
 * `main.ts` becomes `var f = (function f(...) {...});`, moved up to just
 * after the imports, where declarations were hoisted to. An empty cookbook's
 * apply: 33.5-35.6 -> 30.6-31.3 ms, a 1,000-file first converge +0.3 MiB
 * (2026-12-02). The npm packages' code (zod, yaml, nunjucks: a run loads them
 * only on a catalog miss, and uses a fraction) stays lazy.
 *
 * Moving a function's definition up keeps what hoisting gave: every function
 * of a chunk exists before any of its top-level code runs. What it does not
 * keep, a call from another module during module evaluation before this one
 * evaluates, needs a cycle between chunks, which esbuild's code splitting
 * does not make (a module's chunk imports only chunks of supersets of its
 * entry points).
 *
 * @module
 */
import { type Comment, type FunctionDeclaration, parse, type Program } from "acorn";

/** esbuild's line naming where the code below it came from: `// src/cli/output.ts`. */
const ORIGIN = /^ (\S+\.[cm]?[jt]s)$/;
/** Origins that are cm's own code. */
const OWN = /^(src|resources)\/|^main\.ts$/;

function parseModule(code: string, onComment?: Comment[]): Program {
  return parse(code, { ecmaVersion: "latest", sourceType: "module", onComment });
}

/** For each offset, whether the code there came from one of cm's own files. */
function ownCode(code: string, comments: Comment[]): (offset: number) => boolean {
  const origins = comments
    .filter((c) => c.type === "Line" && (c.start === 0 || code[c.start - 1] === "\n"))
    .map((c) => ({ start: c.start, path: ORIGIN.exec(c.value)?.[1] }))
    .filter((c): c is { start: number; path: string } => c.path !== undefined);
  return (offset) => OWN.test(origins.findLast((o) => o.start < offset)?.path ?? "");
}

/**
 * `chunk` (an ES module as `deno bundle` writes it) with cm's own top-level
 * function declarations compiled eagerly, as the module doc says.
 * Throws a SyntaxError when `chunk` does not parse.
 */
export function eagerFunctions(chunk: string): string {
  const comments: Comment[] = [];
  const program = parseModule(chunk, comments);
  const own = ownCode(chunk, comments);
  const moved = program.body.filter((s): s is FunctionDeclaration =>
    s.type === "FunctionDeclaration" && own(s.start)
  );
  if (!moved.length) return chunk;
  const imports = program.body.filter((s) => s.type === "ImportDeclaration");
  const top = imports.at(-1)?.end ?? 0;
  const defined = moved.map((s) => `var ${s.id.name} = (${chunk.slice(s.start, s.end)});\n`);
  let out = `${chunk.slice(0, top)}\n${defined.join("")}`;
  let at = top;
  for (const s of moved) {
    out += chunk.slice(at, s.start);
    at = s.end;
  }
  out += chunk.slice(at);
  parseModule(out);
  return out;
}
