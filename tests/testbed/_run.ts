/** Process helpers shared by the testbed modules (internal). */

/** Output of a finished process; `code` is its exit code (never throws on non-zero). */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode run}. */
export interface RunOptions {
  /** Bytes or text written to the process's stdin, which is then closed. */
  stdin?: string | Uint8Array;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Throw when the exit code is not 0 (default false). */
  check?: boolean;
}

/** A search path that includes the sbin directories, where debootstrap and friends live. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs `argv` to completion and returns its exit code and decoded output. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PATH: SYSTEM_PATH, ...opts.env },
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    const bytes = typeof opts.stdin === "string"
      ? new TextEncoder().encode(opts.stdin)
      : opts.stdin;
    // A process that exits without reading its stdin must not turn into an error here.
    await w.write(bytes).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  const dec = new TextDecoder();
  const result = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (opts.check && result.code !== 0) throw new Error(failure(argv, result));
  return result;
}

/** Formats a failed command for an error message: argv, exit code and the tail of its output. */
export function failure(argv: string[], r: RunResult): string {
  const tail = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-15).join("\n");
  return `${JSON.stringify(argv)} exited ${r.code}${tail ? `: ${tail}` : ""}`;
}

/** Throws a message naming the missing tool unless every command in `tools` is on the system path. */
export function requireTools(tools: string[]): void {
  if (Deno.uid() !== 0) {
    throw new Error(
      `The testbed must run as root (uid is ${Deno.uid()}): it mounts and boots containers`,
    );
  }
  const dirs = SYSTEM_PATH.split(":");
  const missing = tools.filter((t) => !dirs.some((d) => isFile(`${d}/${t}`)));
  if (missing.length > 0) {
    throw new Error(
      `The testbed needs ${
        missing.map((m) => `"${m}"`).join(", ")
      }, not found in ${SYSTEM_PATH}: ` +
        "install them with `apt-get install -y debootstrap systemd-container util-linux` " +
        "(bootstrap.sh does this on CI)",
    );
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs every step, even when an earlier one throws; throws one error listing all failures. */
export async function allSteps(what: string, steps: [string, () => unknown][]): Promise<void> {
  const errors: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (e) {
      errors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (errors.length > 0) throw new Error(`${what} failed: ${errors.join("; ")}`);
}

/** Mount points at or below `dir` (optionally only those containing `part`), deepest first. */
export async function mountsBelow(dir: string, part = ""): Promise<string[]> {
  const info = await Deno.readTextFile("/proc/self/mountinfo");
  const points = info.split("\n").filter(Boolean).map((l) =>
    l.split(" ")[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
  );
  return points.filter((p) => (p === dir || p.startsWith(`${dir}/`)) && p.includes(part))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts every mount point at or below `dir` (containing `part`), lazily when busy. */
export async function unmountBelow(dir: string, part = ""): Promise<void> {
  for (const point of await mountsBelow(dir, part)) {
    const r = await run(["umount", point]);
    // Busy (a process still has it open): detach it now, the kernel frees it later.
    if (r.code !== 0) await run(["umount", "--lazy", point], { check: true });
  }
}

/** Whether a path exists (following links). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
