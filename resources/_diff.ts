/**
 * Unified diffs of two texts (`cm apply --diff`), in the format of GNU
 * `diff -u`: Myers' shortest edit script over lines, three lines of context.
 *
 * @module
 */

/** Options for {@link unifiedDiff}. */
export interface DiffOptions {
  /** The `---` header label; default "a". */
  oldLabel?: string;
  /** The `+++` header label; default "b". */
  newLabel?: string;
  /** Lines of context around each change; default 3. */
  context?: number;
  /**
   * Above this many differing lines the diff is not searched for the shortest
   * edit: the changed middle is shown as all removed, then all added.
   */
  maxEdits?: number;
}

type Op = "=" | "-" | "+";

/** Splits into lines that keep their "\n", so a missing final newline is a difference. */
function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split("\n").map((line) => line + "\n");
  const last = out.pop()!;
  if (last !== "\n") out.push(last.slice(0, -1));
  return out;
}

/** The edit script between a and b as one op per line, by Myers' O(ND) algorithm. */
function editScript(a: string[], b: string[], maxEdits: number): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = new Array(start).fill("=");
  const middle = myers(a.slice(start, endA), b.slice(start, endB), maxEdits);
  for (const op of middle) ops.push(op);
  for (let i = endA; i < a.length; i++) ops.push("=");
  // Like GNU diff, show each run of changes as its removals, then its additions.
  for (let i = 0; i < ops.length;) {
    if (ops[i] === "=") {
      i++;
      continue;
    }
    let j = i;
    let removed = 0;
    while (j < ops.length && ops[j] !== "=") if (ops[j++] === "-") removed++;
    for (let x = i; x < j; x++) ops[x] = x - i < removed ? "-" : "+";
    i = j;
  }
  return ops;
}

function myers(a: string[], b: string[], maxEdits: number): Op[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) {
    return [...new Array(n).fill("-"), ...new Array(m).fill("+")];
  }
  const max = Math.min(n + m, maxEdits);
  // v[k + offset] = furthest x on diagonal k; one snapshot per d to walk back.
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1]
        : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m, d);
    }
  }
  return [...new Array(n).fill("-"), ...new Array(m).fill("+")];
}

function backtrack(trace: Int32Array[], n: number, m: number, dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d--) {
    // trace[d] holds v before step d, for diagonals -d-1 .. d+1.
    const v = trace[d];
    const at = (k: number) => v[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("=");
      x--;
      y--;
    }
    ops.push(x === prevX ? "+" : "-");
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push("=");
    x--;
    y--;
  }
  return ops.reverse();
}

/** GNU's range: "start,count", just "start" for one line, "before,0" for none. */
function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  if (count === 1) return `${start}`;
  return `${start},${count}`;
}

function show(mark: string, line: string): string {
  return line.endsWith("\n") ? `${mark}${line}` : `${mark}${line}\n\\ No newline at end of file\n`;
}

/**
 * The unified diff turning `oldText` into `newText`, or "" when they are
 * equal. Lines missing a final newline are marked like GNU diff does.
 */
export function unifiedDiff(oldText: string, newText: string, options: DiffOptions = {}): string {
  if (oldText === newText) return "";
  const context = options.context ?? 3;
  const a = lines(oldText);
  const b = lines(newText);
  const ops = editScript(a, b, options.maxEdits ?? 4000);

  let out = `--- ${options.oldLabel ?? "a"}\n+++ ${options.newLabel ?? "b"}\n`;
  // Walk the script; group changes whose context overlaps into one hunk.
  let i = 0;
  const positions: { ai: number; bi: number }[] = [];
  let ai = 0;
  let bi = 0;
  for (const op of ops) {
    positions.push({ ai, bi });
    if (op !== "+") ai++;
    if (op !== "-") bi++;
  }
  while (i < ops.length) {
    while (i < ops.length && ops[i] === "=") i++;
    if (i >= ops.length) break;
    const hunkStart = Math.max(0, i - context);
    let end = i;
    // Extend while the next change is within 2 * context equal lines.
    for (;;) {
      while (end < ops.length && ops[end] !== "=") end++;
      let next = end;
      while (next < ops.length && ops[next] === "=") next++;
      if (next < ops.length && next - end <= 2 * context) {
        end = next;
        continue;
      }
      break;
    }
    const hunkEnd = Math.min(ops.length, end + context);
    let oldCount = 0;
    let newCount = 0;
    let body = "";
    for (let j = hunkStart; j < hunkEnd; j++) {
      const { ai, bi } = positions[j];
      if (ops[j] === "=") {
        body += show(" ", a[ai]);
        oldCount++;
        newCount++;
      } else if (ops[j] === "-") {
        body += show("-", a[ai]);
        oldCount++;
      } else {
        body += show("+", b[bi]);
        newCount++;
      }
    }
    const { ai: oldStart, bi: newStart } = positions[hunkStart];
    out += `@@ -${range(oldStart + 1, oldCount)} +${range(newStart + 1, newCount)} @@\n${body}`;
    i = hunkEnd;
  }
  return out;
}
