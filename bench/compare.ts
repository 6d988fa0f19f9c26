#!/usr/bin/env -S deno run -A
/**
 * cm side by side with the tools its users would otherwise pick: ansible-core,
 * Puppet and BundleWrap (installed from Debian's packages when missing), on
 * the same workloads, on this machine, as root. One command prints the
 * markdown table for the README:
 *
 *   deno task bench compare                 # everything (an hour or more: Ansible is slow)
 *   deno task bench compare --quick         # smoke: tiny workloads, 1 run
 *   deno task bench compare --tools cm,puppet --workloads startup,files-1000-noop
 *   deno task bench compare --cm source     # `deno run` of main.ts instead of dist/cm
 *
 * Workloads (bench/compare/_workloads.ts): an empty cookbook; 1,000 files
 * first converge, no-op, and with 10 drifted; 10,000 files no-op; 20
 * installed packages; 50 guarded commands whose guards say "done". All tools
 * manage the same paths, so runs interleave: every round runs each tool once,
 * so that load from other work on the machine hits all of them alike. The
 * first round is a warm-up and is discarded, unless it took longer than
 * `--slow` seconds: then it is that tool's one run (Ansible at 1,000 files
 * takes minutes a run). A tool whose run would take longer than `--max-run`
 * seconds, judged from its smaller workload, is skipped there and says so.
 * Every run is checked: it must succeed, a no-op must change nothing and the
 * others must change something (cm and Puppet by their detailed exit codes,
 * Ansible and BundleWrap by their summaries).
 *
 * Figures: the median wall time of the runs, the peak memory (max RSS of the
 * largest process, from GNU time), each other tool's time as a multiple of
 * cm's from the same rounds, and the floor: the least work for the same
 * result (bench/floor.ts: an empty Deno program, a stat + read + sha256 of
 * each file, one dpkg-query, or writing each file with fsync before rename).
 * hyperfine does not fit here: it runs one command's runs back to back and
 * does not measure memory.
 *
 * Exits 1 when a run failed or did the wrong thing, never on a missed target.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cmCommand } from "../scripts/cm_command.ts";
import { ensureDistCm } from "../scripts/dist.ts";
import { installedPackages } from "./_cookbook.ts";
import {
  HAVE_TIME,
  loadavg,
  measure,
  median,
  type RunSpec,
  type Sample,
  table,
  text,
} from "./_stats.ts";
import { type Context, type Tool, TOOLS, writeShims } from "./compare/_tools.ts";
import {
  beforeRun,
  FULL,
  prepare,
  QUICK,
  type Workload,
  WORKLOAD_IDS,
  workloads,
} from "./compare/_workloads.ts";

interface Options {
  runs: number;
  slow: number;
  maxRun: number;
  tools: string[];
  workloads: string[];
  quick: boolean;
  /** A cm executable's path, "dist" (dist/cm, kept current) or "source" (`deno run` of main.ts). */
  cm: string;
  install: boolean;
  keep: boolean;
}

const USAGE = `usage: deno task bench compare [options]
  --runs N            timed runs per tool and workload, after a warm-up (default 5)
  --slow S            a warm-up longer than S seconds is the tool's one run (default 60)
  --max-run S         skip a tool where one run would take longer than S seconds (default 900)
  --tools LIST        of ${TOOLS.map((t) => t.id).join(",")} (default: all)
  --workloads LIST    of ${WORKLOAD_IDS.join(",")} (default: all)
  --cm PATH|source    run this cm executable, or "source": deno run of main.ts under the
                      shipped flags (default: dist/cm, built first when stale: what operators run)
  --no-install        skip missing tools instead of apt-get installing them
  --quick             tiny workloads, 1 run (a smoke test)
  --keep              keep the temp directory`;

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string", default: "5" },
      slow: { type: "string", default: "60" },
      "max-run": { type: "string", default: "900" },
      tools: { type: "string", default: TOOLS.map((t) => t.id).join(",") },
      workloads: { type: "string", default: WORKLOAD_IDS.join(",") },
      cm: { type: "string" },
      "no-install": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!(n > 0)) throw new Error(`--${name} needs a positive number, got "${text}"`);
    return n;
  };
  const list = (text: string, known: readonly string[], what: string) => {
    const items = text.split(",").filter(Boolean);
    const unknown = items.find((i) => !known.includes(i));
    if (unknown) throw new Error(`unknown ${what} "${unknown}": expected ${known.join(", ")}`);
    return items;
  };
  const tools = list(v.tools, TOOLS.map((t) => t.id), "tool");
  if (!tools.includes("cm")) tools.unshift("cm"); // every ratio is against cm
  return {
    runs: v.quick ? 1 : Math.round(positive("runs", v.runs)),
    slow: positive("slow", v.slow),
    maxRun: positive("max-run", v["max-run"]),
    tools,
    workloads: list(v.workloads, WORKLOAD_IDS, "workload"),
    quick: v.quick,
    cm: v.cm ?? "dist",
    install: !v["no-install"],
    keep: v.keep,
  };
}

// ---------------------------------------------------------------- tools present

function onPath(program: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/${program}`).isFile;
    } catch {
      return false;
    }
  });
}

/** The tools to run: missing ones are installed with apt-get, or dropped with a note. */
async function present(wanted: Tool[], install: boolean): Promise<Tool[]> {
  const missing = wanted.filter((t) => !onPath(t.program));
  const packages = missing.flatMap((t) => t.debian);
  if (!HAVE_TIME) packages.push("time");
  if (packages.length && install) {
    console.error(`installing ${packages.join(" ")} (apt-get)`);
    const out = await new Deno.Command("apt-get", {
      args: ["install", "-y", "--no-install-recommends", "--", ...packages],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`apt-get install ${packages.join(" ")} failed`);
  }
  const usable = wanted.filter((t) => onPath(t.program));
  for (const t of wanted.filter((t) => !usable.includes(t))) {
    console.error(`note: ${t.label} is not installed (${t.program}); left out`);
  }
  return usable;
}

// ---------------------------------------------------------------- running

interface Result {
  samples: Sample[];
  /** Why there is no figure, or a remark on it. */
  note?: string;
  failed?: boolean;
}

type Results = Map<string, Map<string, Result>>;

const fmt = (s: number) => s < 10 ? s.toFixed(3) : s.toFixed(1);
const secondsOf = (r: Result | undefined) =>
  r && r.samples.length ? median(r.samples.map((s) => s.seconds)) : null;
const peakOf = (r: Result | undefined) => {
  const rss = (r?.samples ?? []).map((s) => s.rssKiB).filter((x): x is number => x !== null);
  return rss.length ? Math.max(...rss) / 1024 : null;
};

/** What is wrong with a run of `tool` on `w`, or null. */
function problem(w: Workload, tool: Tool, sample: Sample): string | null {
  const { ok, changed } = tool.verdict(sample);
  const tail = () => sample.output.trim().split("\n").slice(-15).join("\n");
  if (!ok) return `${tool.label} failed on ${w.id} (exit ${sample.code}):\n${tail()}`;
  if (w.noop && changed === true) return `${tool.label} changed something in no-op ${w.id}`;
  if (!w.noop && changed === false) return `${tool.label} changed nothing in ${w.id}`;
  return null;
}

/** The reason to skip `tool` on `w`: one run would likely take longer than `maxRun`. */
function hopeless(w: Workload, tool: Tool, results: Results, maxRun: number): string | null {
  if (!w.estimate) return null;
  const base = secondsOf(results.get(w.estimate.from)?.get(tool.id));
  const guess = base === null ? null : base * w.estimate.factor;
  if (guess === null || guess <= maxRun) return null;
  return `skipped: ≈ ${
    Math.round(guess / 60)
  } min a run (${w.estimate.from} × ${w.estimate.factor})`;
}

async function runWorkload(
  w: Workload,
  tools: Tool[],
  root: string,
  ctx: Context,
  options: Options,
  results: Results,
): Promise<Map<string, Result>> {
  prepare(w);
  const lanes: { tool: Tool; dir: string; spec: RunSpec; result: Result; done: boolean }[] = [];
  const out = new Map<string, Result>();
  for (const tool of tools) {
    const dir = `${root}/${w.id}/${tool.id}`;
    Deno.mkdirSync(dir, { recursive: true });
    const spec = tool.render(w, dir, ctx);
    if (!spec) continue;
    const skip = hopeless(w, tool, results, options.maxRun);
    const result: Result = { samples: [], ...(skip ? { note: skip } : {}) };
    out.set(tool.id, result);
    if (!skip) lanes.push({ tool, dir, spec, result, done: false });
  }
  const scratch = `${root}/time.txt`;
  for (let round = 0; lanes.some((l) => !l.done); round++) {
    for (const lane of lanes.filter((l) => !l.done)) {
      beforeRun(w);
      if (w.before === "absent") lane.tool.reset?.(lane.dir);
      const sample = await measure(lane.spec, scratch);
      const wrong = problem(w, lane.tool, sample);
      if (wrong) {
        console.error(`error: ${wrong}`);
        [lane.result.failed, lane.result.note, lane.done] = [true, "failed", true];
      } else if (round === 0 && sample.seconds > options.slow) {
        [lane.result.samples, lane.result.note, lane.done] = [[sample], "1 run", true];
      } else if (round > 0) {
        lane.result.samples.push(sample);
        lane.done = lane.result.samples.length >= options.runs;
      }
    }
    console.error(`  ${w.id}: round ${round} done (load ${loadavg()})`);
  }
  return out;
}

// ---------------------------------------------------------------- the tables

function cell(tool: Tool, r: Result | undefined, cmSeconds: number | null): string {
  if (!r) return "–";
  const s = secondsOf(r);
  if (s === null) return r.note ?? "–";
  const parts = [`${fmt(s)} s`];
  if (tool.id === "floor") {
    if (cmSeconds !== null) parts.push(`cm ${(cmSeconds / s).toFixed(2)}×`);
  } else {
    if (tool.id !== "cm" && cmSeconds) parts.push(`${(s / cmSeconds).toFixed(1)}×`);
    const peak = peakOf(r);
    if (peak !== null) parts.push(`${peak.toFixed(0)} MiB`);
  }
  if (r.note) parts.push(`(${r.note})`);
  return parts.join(" · ");
}

function resultsTable(list: Workload[], tools: Tool[], results: Results, loads: string[]): string {
  const others = tools.filter((t) => t.id !== "cm" && t.id !== "floor");
  const rows = list.map((w, i) => {
    const byTool = results.get(w.id)!;
    const cmSeconds = secondsOf(byTool.get("cm"));
    const fastest = Math.min(...others.map((t) => secondsOf(byTool.get(t.id)) ?? Infinity));
    return [
      w.label,
      ...tools.map((t) => cell(t, byTool.get(t.id), cmSeconds)),
      cmSeconds && Number.isFinite(fastest) ? `${(fastest / cmSeconds).toFixed(1)}×` : "–",
      loads[i],
    ];
  });
  const headers = ["workload", ...tools.map((t) => t.label), "fastest other ÷ cm", "load (1 min)"];
  return table(headers, rows, headers.map((_, i) => i > 0));
}

function targetsTable(list: Workload[], tools: Tool[], results: Results): string {
  const rows: string[][] = [];
  const get = (id: string, tool: string) => results.get(id)?.get(tool);
  const verdict = (ok: boolean) => ok ? "met" : "MISSED";
  const others = tools.filter((t) => t.id !== "cm" && t.id !== "floor");
  for (const w of list.filter((w) => w.noop && others.length)) {
    const cmS = secondsOf(get(w.id, "cm"));
    const fastest = Math.min(...others.map((t) => secondsOf(get(w.id, t.id)) ?? Infinity));
    if (cmS === null || !Number.isFinite(fastest)) continue;
    const x = fastest / cmS;
    rows.push([`fastest other ÷ cm, ${w.label}`, `${x.toFixed(1)}×`, "≥ 20×", verdict(x >= 20)]);
  }
  const floorRatio = (id: string, label: string, goal: number) => {
    const [c, f] = [secondsOf(get(id, "cm")), secondsOf(get(id, "floor"))];
    if (c === null || f === null) return;
    rows.push([label, `${(c / f).toFixed(2)}×`, `≤ ${goal}×`, verdict(c / f <= goal)]);
  };
  floorRatio("startup", "cm empty cookbook ÷ deno run of an empty file", 1.5);
  for (const w of list.filter((w) => w.floor === "write")) {
    floorRatio(w.id, `cm ÷ write floor (fsync, rename), ${w.label}`, 3);
  }
  for (const w of list.filter((w) => w.id.startsWith("files-"))) {
    const peak = peakOf(get(w.id, "cm"));
    const goal = w.size > 1000 ? 100 : 60;
    if (peak === null) continue;
    rows.push([
      `cm peak memory, ${w.label}`,
      `${peak.toFixed(1)} MiB`,
      `≤ ${goal} MiB`,
      verdict(peak <= goal),
    ]);
  }
  return table(["target", "measured", "goal", "result"], rows, [false, true, false, false]);
}

// ---------------------------------------------------------------- main

async function machine(): Promise<string[]> {
  const cpu = (await text(["grep", "-m1", "model name", "/proc/cpuinfo"])).replace(/^.*:\s*/, "");
  const mem = (await text(["grep", "-m1", "MemTotal", "/proc/meminfo"])).replace(/\D+/g, "");
  const os = (await text(["grep", "-m1", "PRETTY_NAME", "/etc/os-release"]))
    .replace(/^.*="?|"$/g, "");
  return [
    `${navigator.hardwareConcurrency} CPUs (${cpu}), ${(Number(mem) / 2 ** 20).toFixed(0)} GiB`,
    `${os}, Linux ${await text(["uname", "-r"])}`,
  ];
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  if (Deno.uid() !== 0) throw new Error("run it as root: every tool converges this machine");
  const tools = await present(TOOLS.filter((t) => options.tools.includes(t.id)), options.install);
  const cm = options.cm === "dist" ? (await ensureDistCm()).path : options.cm;
  const root = Deno.makeTempDirSync({ prefix: "cm-bench-compare-" });
  const ctx: Context = {
    home: `${root}/home`,
    denoDir: JSON.parse(await text([Deno.execPath(), "info", "--json"])).denoDir,
    shim: `${root}/shim`,
    cm: (args) => cm === "source" ? cmCommand(args) : [cm, ...args],
    floorScript: new URL("./floor.ts", import.meta.url).pathname,
    emptyProgram: `${root}/empty.ts`,
  };
  Deno.mkdirSync(ctx.home);
  writeShims(ctx.shim);
  Deno.writeTextFileSync(ctx.emptyProgram, "");
  try {
    const sizes = options.quick ? QUICK : FULL;
    const packages = await installedPackages(sizes.packages);
    const list = workloads(`${root}/work`, sizes, packages)
      .filter((w) => options.workloads.includes(w.id));
    const started = new Date();
    const loadBefore = loadavg();
    const results: Results = new Map();
    const loads: string[] = [];
    for (const w of list) {
      console.error(`${w.label} …`);
      results.set(w.id, await runWorkload(w, tools, root, ctx, options, results));
      loads.push(loadavg().split(" ")[0]);
    }
    const versions = await Promise.all(
      tools.map(async (t) => `${t.label} ${(await text(t.version(ctx))).split("\n")[0]}`),
    );
    console.log(`## cm and the others, side by side (${started.toISOString().slice(0, 16)} UTC)\n`);
    console.log(`machine: ${(await machine()).join("; ")}`);
    console.log(`versions: ${versions.join("; ")}`);
    console.log(
      `cm ran as: ${cm === "source" ? "deno run main.ts with the shipped permission flags" : cm}`,
    );
    console.log(`load average before: ${loadBefore}; after: ${loadavg()}`);
    console.log(
      `each cell: median wall time of ${options.runs} run(s) after a warm-up · ` +
        "that tool's time ÷ cm's · peak memory (max RSS)\n",
    );
    console.log(resultsTable(list, tools, results, loads));
    console.log("\nTargets (reported, never asserted)\n");
    console.log(targetsTable(list, tools, results));
    const failed = [...results.values()].some((m) => [...m.values()].some((r) => r.failed));
    return failed ? 1 : 0;
  } finally {
    if (options.keep) console.error(`kept ${root}`);
    else Deno.removeSync(root, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`bench/compare.ts: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
