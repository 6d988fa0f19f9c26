/**
 * The unified diffs a run records: every changed file's in an apply (so
 * `cm show-run` can show what changed), a plan's only with `--diff`. Bounded,
 * so a first converge of thousands of files does not write a report of
 * hundreds of megabytes: each diff to its first {@link DIFF_LINES} lines /
 * {@link DIFF_BYTES} characters, a run's to {@link RUN_DIFF_BYTES} in all.
 *
 * @module
 */

/** The most lines of one recorded diff. */
export const DIFF_LINES = 500;
/** The most characters of one recorded diff. */
export const DIFF_BYTES = 32 * 1024;
/** The most characters of all diffs of one run; past it, diffs are not computed. */
export const RUN_DIFF_BYTES = 1024 * 1024;

/**
 * `diff` cut to its first `lines` lines and `bytes` characters (whole lines),
 * a last line saying how many lines were cut.
 */
export function boundDiff(diff: string, lines = DIFF_LINES, bytes = DIFF_BYTES): string {
  const all = diff.endsWith("\n") ? diff.slice(0, -1).split("\n") : diff.split("\n");
  let size = 0;
  let kept = 0;
  while (kept < all.length && kept < lines && size + all[kept].length + 1 <= bytes) {
    size += all[kept++].length + 1;
  }
  if (kept === all.length) return diff;
  const cut = all.length - kept;
  return `${all.slice(0, kept).join("\n")}\n... (${cut} more line${cut === 1 ? "" : "s"} cut)\n`;
}

/**
 * A run's diff maker: `make` is called (and its diff bounded) while the run's
 * diffs stay under `total` characters; after that the diff says it was not
 * recorded. `undefined` for no diff.
 */
export function diffBudget(
  total = RUN_DIFF_BYTES,
): (make: () => string | null | undefined) => string | undefined {
  let left = total;
  return (make) => {
    if (left <= 0) return `(diff not recorded: this run's diffs passed ${total / 1024} KiB)`;
    const diff = make();
    if (!diff) return undefined;
    const bounded = boundDiff(diff);
    left -= bounded.length;
    return bounded;
  };
}
