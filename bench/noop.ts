/**
 * No-op benchmark of `cm apply` against the floor (issue 2, section 5 "Speed").
 *
 * How to run:
 *
 *   deno run -A bench/noop.ts                 # 1000 and 10,000 files, 7 runs each
 *   deno run -A bench/noop.ts --runs 11       # more runs per command
 *   deno run -A bench/noop.ts --quick         # smoke: tiny cookbooks, 1 run (tests use it)
 *   deno run -A bench/noop.ts --sizes 1000 --keep   # keep the temp dir to look at
 *   deno run -A bench/noop.ts --cm source     # `deno run` of main.ts instead of dist/cm
 *
 * What it measures: in a temp dir it generates cookbooks of N managed files
 * (inline content, mode "0644", in a temp tree) plus the same 20 packages that
 * are installed on this machine (read from `dpkg-query -W`), and one of the 20
 * packages alone (N = 0, cm's fixed cost). It converges each once with
 * `cm apply --state-dir` (in the temp dir), then times, round-robin so drift
 * hits all alike, after one untimed warm-up each:
 *
 * - `cm apply` no-op (asserted to change nothing with --detailed-exitcodes),
 * - `cm plan` no-op,
 * - the floor: bench/floor.ts lstat + read + sha256 of the same files,
 * - the floor + one `dpkg-query` for the 20 packages,
 * - `cm --version` and `deno run` of an empty file.
 *
 * cm runs exactly as shipped: dist/cm (built first when stale), or with
 * `--cm source` `deno run` of main.ts with the permission flags of
 * src/permissions.ts (scripts/cm_command.ts). Wall time is measured around
 * each process; peak memory (max RSS) and CPU time (user + system; far
 * less disturbed than wall time when other work shares the machine) come
 * from `/usr/bin/time -f "%M %U %S"`
 * (Debian package `time`; without it the RSS column says n/a). Prints the
 * median, min and max of the runs, the ratios against the floor measured in
 * the same run, per-file cost and growth 1000 → 10,000, and the targets.
 * Exits 1 only when a command fails, never on a missed target.
 *
 * @module
 */
import { cmCommand } from "../scripts/cm_command.ts";
import { ensureDistCm } from "../scripts/dist.ts";
import { generate, installedPackages } from "./_cookbook.ts";
import { HAVE_TIME, loadavg, measure, median, type Sample, table, text } from "./_stats.ts";

const FLOOR = new URL("./floor.ts", import.meta.url).pathname;

interface Options {
  runs: number;
  sizes: number[];
  quick: boolean;
  keep: boolean;
  /** Bytes of content per managed file. */
  bytes: number;
  /** "dist" (dist/cm), "source" (`deno run` of main.ts) or a cm executable's path. */
  cm: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    runs: 7,
    sizes: [1000, 10000],
    quick: false,
    keep: false,
    bytes: 256,
    cm: "dist",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--runs") options.runs = Math.max(1, Number(value()));
    else if (arg === "--sizes") options.sizes = value().split(",").map(Number);
    else if (arg === "--bytes") options.bytes = Number(value());
    else if (arg === "--keep") options.keep = true;
    else if (arg === "--cm") options.cm = value();
    else if (arg === "--quick") {
      options.quick = true;
      options.runs = 1;
      options.sizes = [10, 50];
    } else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: deno run -A bench/noop.ts [--runs N] [--sizes 1000,10000] [--bytes B] [--quick] [--keep]" +
          " [--cm dist|source|PATH]",
      );
      Deno.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  if (options.sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error("--sizes takes positive whole numbers, e.g. 1000,10000");
  }
  return options;
}

// ---------------------------------------------------------------- processes

/** The environment every timed process gets: clean, like the tests' runCm. */
const ENV = {
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/root",
};

async function timed(argv: string[], rssFile: string, expectCode = 0): Promise<Sample> {
  const sample = await measure({ argv, env: ENV }, rssFile);
  if (sample.code !== expectCode) {
    throw new Error(
      `${argv.join(" ").slice(0, 300)}\nexited ${sample.code}, expected ${expectCode}\n${
        sample.output.slice(-4000)
      }`,
    );
  }
  return sample;
}

// ---------------------------------------------------------------- statistics

interface Row {
  label: string;
  size: number | null;
  samples: Sample[];
}

const secs = (row: Row) => row.samples.map((s) => s.seconds);
const med = (row: Row) => median(secs(row));
/** Median CPU seconds (user + system), or null without /usr/bin/time. */
const cpuMed = (row: Row) => {
  const c = row.samples.map((s) => s.cpu).filter((x): x is number => x !== null);
  return c.length ? median(c) : null;
};
const peakMiB = (row: Row) => {
  const r = row.samples.map((s) => s.rssKiB).filter((x): x is number => x !== null);
  return r.length ? Math.max(...r) / 1024 : null;
};

const f3 = (x: number) => x.toFixed(3);
const ratio = (x: number) => `${x.toFixed(2)}×`;

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const bin = options.cm === "dist" ? (await ensureDistCm()).path : options.cm;
  const cm = (args: string[]) => bin === "source" ? cmCommand(args) : [bin, ...args];
  console.log(`cm ran as: ${bin === "source" ? "deno run main.ts with the shipped flags" : bin}`);
  const root = Deno.makeTempDirSync({ prefix: "cm-bench-noop-" });
  const rssFile = `${root}/rss.txt`;
  try {
    const packages = await installedPackages(20);
    const facts = [
      `nproc ${await text(["nproc"])}`,
      `${Deno.build.os}/${Deno.build.arch} ${await text(["uname", "-r"])}`,
      `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`,
      HAVE_TIME
        ? "peak RSS and CPU from /usr/bin/time"
        : "no /usr/bin/time: RSS and CPU not measured (apt-get install time)",
      `load average ${loadavg()}`,
    ];
    console.log(`cm no-op benchmark: ${options.runs} timed run(s) per command, after 1 warm-up`);
    console.log(`machine: ${facts.join("; ")}`);
    console.log(`packages (${packages.length}, installed): ${packages.join(" ")}`);
    if (packages.length < 20) console.log("note: fewer than 20 installed packages found");

    const empty = `${root}/empty.ts`;
    Deno.writeTextFileSync(empty, "");
    const fixtures = [0, ...options.sizes].map((n) => generate(root, n, packages, options.bytes));
    for (const fx of fixtures) {
      console.log(
        `cookbook n=${fx.size}: ${
          (fx.cookbookBytes / 1024).toFixed(0)
        } KiB YAML, ${fx.size} files ` +
          `of ~${options.bytes} B + ${packages.length} packages`,
      );
    }

    // Converge once; the second apply must then be a no-op (detailed exit code 0).
    for (const fx of fixtures) {
      const start = performance.now();
      await timed(cm(["apply", "-q", "--state-dir", fx.stateDir, fx.cookbook]), rssFile);
      console.log(
        `converged n=${fx.size} in ${((performance.now() - start) / 1000).toFixed(2)} s`,
      );
    }

    const rows: Row[] = [];
    const jobs: { row: Row; argv: string[] }[] = [];
    const add = (label: string, size: number | null, argv: string[]) => {
      const row = { label, size, samples: [] };
      rows.push(row);
      jobs.push({ row, argv });
    };
    const dpkg = ["--dpkg", packages.join(",")];
    for (const fx of fixtures) {
      const state = ["--state-dir", fx.stateDir];
      add(
        "cm apply (no-op)",
        fx.size,
        cm(["apply", "--detailed-exitcodes", ...state, fx.cookbook]),
      );
      add("cm plan (no-op)", fx.size, cm(["plan", ...state, fx.cookbook]));
      add("floor: lstat+read+sha256", fx.size, [Deno.execPath(), "run", "-A", FLOOR, fx.list]);
      add("floor + 1 dpkg-query", fx.size, [Deno.execPath(), "run", "-A", FLOOR, fx.list, ...dpkg]);
    }
    add("cm --version", null, cm(["--version"]));
    add("deno run empty.ts", null, [Deno.execPath(), "run", "--quiet", empty]);

    for (const job of jobs) await timed(job.argv, rssFile); // warm-up (module cache, page cache)
    for (let run = 0; run < options.runs; run++) {
      for (const job of jobs) job.row.samples.push(await timed(job.argv, rssFile));
      if (!options.quick) console.error(`  run ${run + 1}/${options.runs} done`);
    }

    // ---- the figures
    console.log(
      `\nload average after the runs: ${loadavg()} (on ${navigator.hardwareConcurrency} CPUs)`,
    );
    console.log("\nWall time (seconds), CPU time (user+system) and peak memory, per command");
    console.log(table(
      ["command", "files", "median s", "min s", "max s", "median CPU s", "peak RSS MiB"],
      rows.map((r) => {
        const peak = peakMiB(r);
        const cpu = cpuMed(r);
        return [
          r.label,
          r.size === null ? "-" : String(r.size),
          f3(med(r)),
          f3(Math.min(...secs(r))),
          f3(Math.max(...secs(r))),
          cpu === null ? "n/a" : cpu.toFixed(2),
          peak === null ? "n/a" : peak.toFixed(1),
        ];
      }),
      [false, true, true, true, true, true, true],
    ));

    const find = (label: string, size: number | null) =>
      rows.find((r) => r.label === label && r.size === size)!;
    const sizes = options.sizes;
    console.log("\nRatios against the floor (medians, same run)");
    console.log(table(
      [
        "files",
        "cm apply s",
        "floor s",
        "apply/floor",
        "floor+dpkg s",
        "apply/(floor+dpkg)",
        "plan/(floor+dpkg)",
        "CPU apply/(floor+dpkg)",
      ],
      [0, ...sizes].map((n) => {
        const a = med(find("cm apply (no-op)", n));
        const p = med(find("cm plan (no-op)", n));
        const fl = med(find("floor: lstat+read+sha256", n));
        const fd = med(find("floor + 1 dpkg-query", n));
        const ca = cpuMed(find("cm apply (no-op)", n));
        const cf = cpuMed(find("floor + 1 dpkg-query", n));
        const cpu = ca === null || !cf ? "n/a" : ratio(ca / cf);
        return [
          String(n),
          f3(a),
          f3(fl),
          ratio(a / fl),
          f3(fd),
          ratio(a / fd),
          ratio(p / fd),
          cpu,
        ];
      }),
      [true, true, true, true, true, true, true, true],
    ));

    console.log("\nPer-file cost (median at N files − median at 0 files) / N");
    console.log(table(
      [
        "files",
        "cm apply µs/file",
        "cm plan µs/file",
        "floor µs/file",
        "cm apply CPU µs/file",
        "cm fixed s (n=0)",
        "floor fixed s",
      ],
      sizes.map((n) => {
        const per = (label: string) => (med(find(label, n)) - med(find(label, 0))) / n * 1e6;
        const cpuPer = (n: number) => {
          const [c, c0] = [
            cpuMed(find("cm apply (no-op)", n)),
            cpuMed(find("cm apply (no-op)", 0)),
          ];
          return c === null || c0 === null ? "n/a" : ((c - c0) / n * 1e6).toFixed(0);
        };
        return [
          String(n),
          per("cm apply (no-op)").toFixed(0),
          per("cm plan (no-op)").toFixed(0),
          per("floor + 1 dpkg-query").toFixed(0),
          cpuPer(n),
          f3(med(find("cm apply (no-op)", 0))),
          f3(med(find("floor + 1 dpkg-query", 0))),
        ];
      }),
      [true, true, true, true, true, true, true],
    ));

    // ---- targets (issue 2 §5); reported, never asserted
    const small = sizes.includes(1000) ? 1000 : sizes[0];
    const large = sizes.includes(10000) ? 10000 : sizes.at(-1)!;
    const verdict = (ok: boolean) => ok ? "met" : "MISSED";
    const targets: string[][] = [];
    const a1 = med(find("cm apply (no-op)", small));
    const fl1 = med(find("floor: lstat+read+sha256", small));
    const fd1 = med(find("floor + 1 dpkg-query", small));
    targets.push([`cm apply / floor @${small}`, ratio(a1 / fl1), "≤ 2×", verdict(a1 / fl1 <= 2)]);
    targets.push([
      `cm apply / (floor + dpkg-query) @${small}`,
      ratio(a1 / fd1),
      "≤ 2×",
      verdict(a1 / fd1 <= 2),
    ]);
    if (large !== small) {
      const per = (n: number) =>
        (med(find("cm apply (no-op)", n)) - med(find("cm apply (no-op)", 0))) / n;
      const growth = per(large) / per(small);
      targets.push([
        `per-file cost @${large} / @${small} (1.00 = linear)`,
        ratio(growth),
        "≤ 1.10× (linear)",
        per(small) > 0 ? verdict(growth <= 1.1) : "n/a (too small to tell)",
      ]);
      const a2 = med(find("cm apply (no-op)", large));
      targets.push([`cm apply time @${large} / @${small}`, ratio(a2 / a1), "info", "-"]);
    }
    const peak = peakMiB(find("cm apply (no-op)", small));
    targets.push([
      `cm apply peak RSS @${small}`,
      peak === null ? "n/a" : `${peak.toFixed(1)} MiB`,
      "≤ 60 MiB",
      peak === null ? "n/a" : verdict(peak <= 60),
    ]);
    const v = med(find("cm --version", null)) / med(find("deno run empty.ts", null));
    targets.push(["cm --version / deno run empty.ts", ratio(v), "≤ 2×", verdict(v <= 2)]);
    console.log("\nTargets (issue 2 §5; reported, not asserted)");
    console.log(
      "(growth is a two-point check: a quadratic part can hide behind per-byte costs that\n" +
        " fall with size; bench/profile.ts --files 10000 shows each phase)",
    );
    console.log(
      table(["target", "measured", "goal", "result"], targets, [false, true, false, false]),
    );
    if (options.keep) console.log(`\nkept ${root}`);
    return 0;
  } finally {
    if (!options.keep) Deno.removeSync(root, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`bench/noop.ts: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
