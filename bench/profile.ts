/**
 * Where a no-op `cm apply` spends its time and memory, phase by phase.
 *
 * How to run:
 *
 *   deno run -A bench/profile.ts               # 1000 files + 20 packages, 5 runs
 *   deno run -A bench/profile.ts --files 10000 --runs 3
 *   deno run -A bench/profile.ts --quick       # smoke (tests use it)
 *
 * What it measures, each as the median of fresh processes (cold, like a real run):
 *
 * 1. Import cost: `deno run` of a file importing only node:process (the Node
 *    compatibility layer every node: module and npm package starts), yaml, zod,
 *    node:crypto, both npm packages, cm's CLI (src/cli/mod.ts) or the apply command,
 *    against an empty file, all with this repo's deno.json import map.
 * 2. Phases of one no-op apply inside one process, calling cm's own modules
 *    the way src/app/converge.ts does: import → loadCookbooks (YAML parse, vars,
 *    zod) → order → run(plan) → run(apply) → JSON of the report and state →
 *    recordRun (state file + run report, fsync'd) — with the heap and RSS
 *    after each phase. The cookbook is bench/noop.ts's: N files with inline
 *    content and mode, plus 20 installed packages, converged once first.
 * 3. The per-file cost of the bare file system work (lstat, read, sha256) in
 *    the same process, for comparison with the run phases.
 *
 * Prints tables; never asserts on time.
 *
 * @module
 */
import process from "node:process";
import { cmCommand } from "../scripts/cm_command.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const CONFIG = `${REPO}/deno.json`;
const decoder = new TextDecoder();

// ---------------------------------------------------------------- child: one run's phases

/** One phase: wall ms, and memory after it. */
interface Phase {
  name: string;
  ms: number;
  /** User + system CPU milliseconds of the phase. */
  cpuMs: number;
  heapMiB: number;
  rssMiB: number;
  note?: string;
}

async function child(cookbookPath: string, stateDir: string): Promise<void> {
  const phases: Phase[] = [];
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // From the process's time origin: the runtime's boot and this file's own imports.
  let last = 0;
  let lastCpu = 0;
  const mark = (name: string, note?: string) => {
    const now = performance.now();
    const nowCpu = cpu();
    const m = Deno.memoryUsage();
    phases.push({
      name,
      ms: now - last,
      cpuMs: nowCpu - lastCpu,
      heapMiB: m.heapUsed / 2 ** 20,
      rssMiB: m.rss / 2 ** 20,
      ...(note ? { note } : {}),
    });
    last = performance.now();
    lastCpu = cpu();
  };
  mark("runtime start → first line");
  await import("yaml");
  mark("import yaml");
  await import("zod");
  mark("import zod");
  const [{ RealExecutor }, { loadCookbooks }, { order }, { run }, { recordRun, readState }, {
    statePaths,
  }] = await Promise.all([
    import("../src/exec/real.ts"),
    import("../src/cookbook/load.ts"),
    import("../src/engine/order.ts"),
    import("../src/engine/run.ts"),
    import("../src/state/store.ts"),
    import("../src/state/paths.ts"),
  ]);
  await import("../src/cli/mod.ts");
  mark("import cm's own modules (src/, resources/)");
  const exec = new RealExecutor();
  const cookbook = await loadCookbooks([cookbookPath], exec);
  mark("loadCookbooks: YAML parse, vars, zod, checks");
  order(cookbook.resources);
  mark("order() of the resources", `${cookbook.resources.length} resources`);
  const plan = await run(cookbook, { mode: "plan", probe: exec });
  mark("run(plan): read + diff every resource", `${plan.totals.changed} changed`);
  const report = await run(cookbook, { mode: "apply", exec });
  mark("run(apply) no-op: the same again", `${report.totals.changed} changed`);
  const reportJson = JSON.stringify(report, null, 1);
  mark("JSON.stringify(run report)", `${(reportJson.length / 1024).toFixed(0)} KiB`);
  const paths = statePaths(stateDir);
  const before = readState(exec, paths);
  mark("readState (parse state.json)", `${Object.keys(before.resources).length} entries`);
  recordRun(exec, paths, report);
  const stateBytes = Deno.statSync(paths.state).size;
  mark(
    "recordRun: write run report + state (fsync)",
    `state ${(stateBytes / 1024).toFixed(0)} KiB`,
  );
  // What loadCookbooks and run are made of, done again: warm, so a lower bound.
  const text = Deno.readTextFileSync(cookbookPath);
  const { parseDocument, LineCounter } = await import("yaml");
  const cookbookSchema = await (await import("../src/cookbook/schema.ts")).documentSchema();
  const doc = parseDocument(text, { lineCounter: new LineCounter() });
  mark("  again, warm: yaml parseDocument", `${(text.length / 1024).toFixed(0)} KiB YAML`);
  const raw = doc.toJS();
  mark("  again, warm: doc.toJS()");
  cookbookSchema.safeParse(raw);
  mark("  again, warm: zod cookbookSchema.safeParse");
  order(cookbook.resources);
  mark("  again, warm: order()");
  console.log(JSON.stringify(phases));
}

// ---------------------------------------------------------------- child: bare fs per file

async function fsChild(list: string): Promise<void> {
  const { createHash } = await import("node:crypto");
  const paths = Deno.readTextFileSync(list).split("\n").filter(Boolean);
  const out: Record<string, number> = {};
  const time = (name: string, f: (p: string) => unknown) => {
    const start = performance.now();
    for (const p of paths) f(p);
    out[name] = (performance.now() - start) * 1000 / paths.length;
  };
  // Page cache is warm (the file was just converged); cold V8 like a real run.
  time("lstat", (p) => Deno.lstatSync(p));
  time("readFileSync", (p) => Deno.readFileSync(p));
  const data = paths.map((p) => Deno.readFileSync(p));
  let i = 0;
  time("sha256 (node:crypto createHash)", () => {
    createHash("sha256").update(data[i++]).digest("hex");
  });
  time("lstat+read+sha256", (p) => {
    Deno.lstatSync(p);
    createHash("sha256").update(Deno.readFileSync(p)).digest("hex");
  });
  console.log(JSON.stringify(out));
}

// ---------------------------------------------------------------- parent

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ")} |`;
  const rule = `|${
    widths.map((w, i) => i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`).join("|")
  }|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

async function output(argv: string[], cwd?: string): Promise<{ ms: number; stdout: string }> {
  const start = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - start;
  if (out.code !== 0) {
    throw new Error(
      `${argv.join(" ").slice(0, 200)} exited ${out.code}: ${decoder.decode(out.stderr)}`,
    );
  }
  return { ms, stdout: decoder.decode(out.stdout) };
}

async function parent(): Promise<void> {
  const args = [...Deno.args];
  const quick = args.includes("--quick");
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const files = opt("--files", quick ? 20 : 1000);
  const runs = Math.max(1, opt("--runs", quick ? 1 : 5));
  const root = Deno.makeTempDirSync({ prefix: "cm-bench-profile-" });
  try {
    console.log(
      `cm no-op profile: ${files} files + 20 packages; medians of ${runs} fresh process(es)`,
    );
    console.log(`machine: nproc ${navigator.hardwareConcurrency}; deno ${Deno.version.deno}`);

    // 1. imports
    const imports: [string, string][] = [
      ["empty file", ""],
      // Any node: module or npm package starts Deno's Node compatibility layer first.
      ["node:process (the Node compatibility layer alone)", `import "node:process";`],
      ["node:crypto", `import "node:crypto";`],
      ["yaml", `import "yaml";`],
      ["zod", `import "zod";`],
      ["zod/mini", `import "zod/mini";`],
      ["yaml + zod", `import "yaml"; import "zod";`],
      ["cm's CLI (src/cli/mod.ts)", `import "${REPO}/src/cli/mod.ts";`],
      ["cm apply (src/cli/commands/apply.ts)", `import "${REPO}/src/cli/commands/apply.ts";`],
    ];
    const importRows: string[][] = [];
    let haveTime = false;
    try {
      haveTime = Deno.statSync("/usr/bin/time").isFile;
    } catch { /* no RSS column */ }
    const rssFile = `${root}/rss.txt`;
    let emptyMs = 0;
    let emptyCpu = 0;
    for (const [label, source] of imports) {
      const file = `${root}/import-${importRows.length}.ts`;
      Deno.writeTextFileSync(file, source + "\n");
      const deno = [Deno.execPath(), "run", "-A", "--quiet", "--config", CONFIG, file];
      const argv = haveTime ? ["/usr/bin/time", "-f", "%M %U %S", "-o", rssFile, ...deno] : deno;
      await output(argv); // warm the module cache
      const ms: number[] = [];
      const cpu: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < Math.max(runs, 5); i++) {
        ms.push((await output(argv)).ms);
        if (haveTime) {
          const [m, u, sy] = Deno.readTextFileSync(rssFile).trim().split("\n").at(-1)!.split(" ")
            .map(Number);
          rss.push(m / 1024);
          cpu.push((u + sy) * 1000);
        }
      }
      const m = median(ms);
      const c = haveTime ? median(cpu) : 0;
      if (!importRows.length) [emptyMs, emptyCpu] = [m, c];
      importRows.push([
        label,
        (m / 1000).toFixed(3),
        ((m - emptyMs) / 1000).toFixed(3),
        haveTime ? ((c - emptyCpu) / 1000).toFixed(2) : "n/a",
        haveTime ? median(rss).toFixed(1) : "n/a",
      ]);
    }
    console.log(
      "\n1. Start-up: deno run of a file that only imports (medians; CPU and RSS from /usr/bin/time)",
    );
    console.log(
      table(
        ["imports", "wall s", "wall over empty s", "CPU over empty s", "max RSS MiB"],
        importRows,
      ),
    );

    // 2. phases
    const { generate, installedPackages } = await import("./_cookbook.ts");
    const packages = await installedPackages(20);
    const fx = generate(root, files, packages, 256);
    await output(cmCommand(["apply", "-q", "--state-dir", fx.stateDir, fx.cookbook]));
    const self = new URL(import.meta.url).pathname;
    const runsOut: Phase[][] = [];
    const walls: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const { ms, stdout } = await output([
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        "--config",
        CONFIG,
        self,
        "--child",
        fx.cookbook,
        fx.stateDir,
      ]);
      if (i === 0) continue; // warm-up
      walls.push(ms);
      runsOut.push(JSON.parse(stdout.trim().split("\n").at(-1)!));
    }
    const names = runsOut[0].map((p) => p.name);
    const rows = names.map((name, k) => {
      const ms = median(runsOut.map((r) => r[k].ms));
      const cpuMs = median(runsOut.map((r) => r[k].cpuMs));
      const perResource = !/^(import|runtime)/.test(name);
      const per = perResource ? `${(cpuMs * 1000 / (files + packages.length)).toFixed(0)}` : "";
      return [
        name,
        (ms / 1000).toFixed(3),
        (cpuMs / 1000).toFixed(3),
        per,
        median(runsOut.map((r) => r[k].heapMiB)).toFixed(1),
        median(runsOut.map((r) => r[k].rssMiB)).toFixed(1),
        runsOut[0][k].note ?? "",
      ];
    });
    const sum = median(runsOut.map((r) => r.reduce((a, p) => a + p.ms, 0)));
    const cpuSum = median(runsOut.map((r) => r.reduce((a, p) => a + p.cpuMs, 0)));
    rows.push([
      "(sum of phases)",
      (sum / 1000).toFixed(3),
      (cpuSum / 1000).toFixed(3),
      "",
      "",
      "",
      "",
    ]);
    rows.push([
      "process wall (incl. runtime boot, exit)",
      (median(walls) / 1000).toFixed(3),
      "",
      "",
      "",
      "",
      "",
    ]);
    console.log(
      `\n2. Phases of one no-op apply in one process (${files} files + ${packages.length} packages)`,
    );
    console.log(
      "   (cm apply = imports + loadCookbooks + run(apply) + recordRun; run() calls order() itself;\n" +
        "   plan and apply both run here, so apply runs warm; the last rows repeat parts, warm)",
    );
    console.log(
      table([
        "phase",
        "wall s",
        "CPU s",
        "CPU µs/resource",
        "heap MiB after",
        "RSS MiB after",
        "note",
      ], rows),
    );

    // 3. bare fs per file
    const fsRuns: Record<string, number>[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await output([Deno.execPath(), "run", "-A", self, "--fs-child", fx.list]);
      fsRuns.push(JSON.parse(stdout.trim()));
    }
    console.log(`\n3. Bare file system work per file (${files} files, µs, median)`);
    console.log(table(
      ["operation", "µs/file"],
      Object.keys(fsRuns[0]).map((k) => [k, median(fsRuns.map((r) => r[k])).toFixed(1)]),
    ));
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") await child(Deno.args[1], Deno.args[2]);
  else if (Deno.args[0] === "--fs-child") await fsChild(Deno.args[1]);
  else await parent();
}
