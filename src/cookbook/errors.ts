/**
 * Cookbook errors that point at a file, line and column.
 *
 * @module
 */

/** Where something was written: file, 1-based line and column. */
export interface Position {
  file: string;
  line: number;
  col: number;
}

/** One problem in a cookbook, e.g. `web.yaml:12:5: configure.files[0].mode: expected ...`. */
export interface Problem {
  at: Position;
  /** The YAML path as text: `configure.files[0].mode` (empty for the whole document). */
  path: string;
  message: string;
}

/** Formats a YAML path like `configure.files[0].mode`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** Formats one problem as `file:line:col: path: message`. */
export function formatProblem(problem: Problem): string {
  const { file, line, col } = problem.at;
  return `${file}:${line}:${col}: ${problem.path ? `${problem.path}: ` : ""}${problem.message}`;
}

/** Thrown when cookbooks are invalid; carries every problem found (exit code 2). */
export class CookbookError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "CookbookError";
  }
}

/** A short, quoted rendering of a value found in a cookbook, for "got ..." messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

/** The closest of `candidates` to `word` when it is near enough to be a typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
