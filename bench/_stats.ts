/**
 * Figures and tables shared by the benchmarks: one timed process with its
 * peak memory, medians, and markdown tables.
 *
 * @module
 */

const TIME = "/usr/bin/time";
const decoder = new TextDecoder();

/** Whether GNU time (Debian package `time`) is there to report peak memory. */
export const HAVE_TIME = (() => {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
})();

/** One timed process. */
export interface Sample {
  /** Wall seconds around the process. */
  seconds: number;
  /** Max RSS of the largest process of the tree, in KiB; null without GNU time. */
  rssKiB: number | null;
  /** User + system CPU seconds of the process and its children; null without GNU time. */
  cpu: number | null;
  code: number;
  /** stdout then stderr, decoded. */
  output: string;
}

/** How to run one measured process. */
export interface RunSpec {
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
}

/**
 * Runs `spec` under GNU time (`-f "%M %U %S"`, into `scratch`, a file path)
 * with exactly `spec.env`; resolves whatever the exit code.
 */
export async function measure(spec: RunSpec, scratch: string): Promise<Sample> {
  const argv = HAVE_TIME ? [TIME, "-f", "%M %U %S", "-o", scratch, ...spec.argv] : spec.argv;
  const start = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    clearEnv: true,
    env: spec.env,
    cwd: spec.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  let rssKiB: number | null = null;
  let cpu: number | null = null;
  if (HAVE_TIME) {
    // GNU time prints "Command exited with non-zero status N" before the figures.
    const last = Deno.readTextFileSync(scratch).trim().split("\n").at(-1) ?? "";
    const [m, u, s] = last.split(" ").map(Number);
    rssKiB = m || null;
    cpu = Number.isFinite(u + s) ? u + s : null;
  }
  const output = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  return { seconds, rssKiB, cpu, code: out.code, output };
}

/** The median of `xs` (not empty). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A markdown table; `right[i]` right-aligns column i. */
export function table(headers: string[], rows: string[][], right: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (s: string, i: number) => right[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]);
  const line = (r: string[]) => `| ${r.map(cell).join(" | ")} |`;
  const rule = `|${
    widths.map((w, i) => right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)).join("|")
  }|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** The 1, 5 and 15 minute load averages, e.g. "1.52 1.10 0.80", or "?". */
export function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "?";
  }
}

/** The trimmed stdout of `argv`, or "?" when it cannot run. */
export async function text(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "null",
    }).output();
    return decoder.decode(out.stdout).trim();
  } catch {
    return "?";
  }
}
