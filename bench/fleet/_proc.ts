/**
 * Helpers of the fleet benchmark: CPU time of a process and its reaped
 * children from /proc, and a splay schedule run with bounded concurrency.
 *
 * @module
 */

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
export const CLK_TCK = 100;

/**
 * CPU seconds of `pid` plus its waited-for children (utime + stime + cutime +
 * cstime). git daemon reaps every connection's child, so after a fetch
 * finishes its cost is in the daemon's cutime/cstime.
 */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which sits in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14 → index 11.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) / CLK_TCK;
}

/** PIDs of the live children of `pid`. */
function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* the process is gone */ }
  return pids;
}

/**
 * CPU seconds of `pid` and every live descendant (each with its reaped
 * children): `git daemon` runs the real `git-daemon` as a child of the `git`
 * dispatcher, which only reaps it on exit.
 */
export function treeCpuSeconds(pid: number): number {
  let total = 0;
  try {
    total += cpuSeconds(pid);
  } catch {
    return 0;
  }
  for (const child of childrenOf(pid)) total += treeCpuSeconds(child);
  return total;
}

/** One job's timing in a schedule. */
export interface Timed<T> {
  /** When it was meant to start and when it did, relative to the schedule's start (s). */
  scheduledAt: number;
  startedAt: number;
  finishedAt: number;
  value: T;
}

/**
 * Runs `job(i)` for each start offset (seconds after now), never more than
 * `concurrency` at once: a job starts at its offset or, when every slot is
 * busy, as soon as one frees up.
 */
export async function runSchedule<T>(
  offsets: number[],
  concurrency: number,
  job: (i: number) => Promise<T>,
): Promise<Timed<T>[]> {
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const order = offsets.map((at, i) => ({ at, i })).sort((a, b) => a.at - b.at);
  const results: Timed<T>[] = new Array(offsets.length);
  let next = 0;
  const worker = async () => {
    while (next < order.length) {
      const { at, i } = order[next++];
      const wait = at - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait * 1000));
      const startedAt = now();
      const value = await job(i);
      results[i] = { scheduledAt: at, startedAt, finishedAt: now(), value };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, offsets.length) }, worker));
  return results;
}

/** The p-th percentile (0..100) of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
