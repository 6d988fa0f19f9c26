/**
 * Small text helpers shared by every layer: "did you mean" for typos and the
 * one duration syntax (`300`, `30s`, `5m`, `1h`) of flags and config files.
 *
 * @module
 */

/** The closest of `candidates` to `word` when it is near enough to be a typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    // The distance is at least the difference in length: skip what could not win or be near enough.
    if (Math.abs(other.length - lower.length) >= Math.min(limit + 1, bestDistance)) continue;
    const d = editDistance(lower, other);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= limit ? best : undefined;
}

/** Edits from `a` to `b`; swapping two neighbours is one edit (`ngnix` → `nginx`), as typos go. */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        next[j] = Math.min(next[j], before[j - 2] + 1);
      }
    }
    [before, row] = [row, next];
  }
  return row[b.length];
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/**
 * The longest wait a timer holds, in seconds: setTimeout takes at most
 * 2^31-1 ms (24.8 days) and fires at once past it, which would turn a long
 * interval, debounce or timeout into a busy loop.
 */
export const MAX_WAIT_SECONDS = 2_000_000;

/**
 * Parses a duration into seconds: a non-negative number, or a string `300`,
 * `1.5`, `30s`, `5m`, `1h` (surrounding blanks allowed); `null` for anything else.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(value);
  if (!m) return null;
  return Number(m[1]) * (UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] ?? 1);
}

/**
 * `text` with every occurrence of each secret (4 characters or more) replaced
 * by `***`; occurrences that overlap (a secret inside another, or two sharing
 * characters) are one `***`, so that no part of either shows.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  const found: [number, number][] = [];
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
      found.push([at, at + secret.length]);
    }
  }
  if (!found.length) return text;
  found.sort((a, b) => a[0] - b[0]);
  let [out, end] = ["", 0];
  for (const [from, to] of found) {
    if (from >= end) out += `${text.slice(end, from)}***`;
    end = Math.max(end, to);
  }
  return out + text.slice(end);
}

/** `value` (plain data) with {@link maskSecrets} applied to every string in it, keys kept. */
export function maskStrings<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") return maskSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, secrets)) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, maskStrings(v, secrets)]),
  ) as T;
}

/**
 * A time as a person reads it, the one format of every human-readable output:
 * this machine's local time with its UTC offset, `2026-12-02 03:14:07 +0000`.
 * Takes a Date or an ISO 8601 string; a string that is no time comes back as
 * it is (JSON output keeps ISO 8601 UTC).
 */
export function humanTime(time: string | Date): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return String(time);
  const p = (n: number) => String(n).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? "-" : "+"}${p(Math.floor(Math.abs(offset) / 60))}${
    p(Math.abs(offset) % 60)
  }`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())} ${zone}`;
}
