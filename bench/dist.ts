/**
 * `deno task bench dist [--runs N]`: dist/cm's size and start-up, first run
 * (unpacking into an empty runtime cache) and later runs, beside `deno run`
 * of cm from source and of an empty file. Medians from hyperfine; prints a
 * markdown table, the load average and which artefact dist/cm is (built or
 * rebuilt first when stale).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ensureDistCm } from "../scripts/dist.ts";
import { cmCommand } from "../scripts/cm_command.ts";

const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string" } } });
const runs = Number(values.runs ?? 20);

const { path, artefact } = await ensureDistCm();
const work = await Deno.makeTempDir({ prefix: "cm-bench-dist-" });
const runtime = `${work}/runtime`;
const book = `${work}/book.yaml`;
await Deno.writeTextFile(book, `configure:\n  files:\n    - path: ${work}/out\n      content: x\n`);
await Deno.writeTextFile(`${work}/empty.js`, "");

const quote = (w: string) =>
  /^[A-Za-z0-9_./:=,+-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
const sh = (argv: string[]) => argv.map(quote).join(" ");
const dist = (args: string[]) => sh(["env", `CM_RUNTIME_DIR=${runtime}`, path, ...args]);
const source = (args: string[]) => sh(cmCommand(args));
const apply = (state: string) => ["apply", "--state-dir", `${work}/${state}`, book];

/** Median seconds of each named command, from one hyperfine run. */
async function hyperfine(
  commands: [string, string][],
  extra: string[],
): Promise<Map<string, number>> {
  const json = `${work}/hyperfine.json`;
  const args = [...extra, "--export-json", json, "--style", "none"];
  for (const [name, command] of commands) args.push("-n", name, command);
  const out = await new Deno.Command("hyperfine", { args, stdout: "null" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const results = JSON.parse(await Deno.readTextFile(json)).results;
  return new Map(results.map((r: { command: string; median: number }) => [r.command, r.median]));
}

try {
  // Warm the cache and the state directories, so "later" means later.
  for (const command of [dist(apply("dist-state")), source(apply("source-state"))]) {
    await new Deno.Command("sh", { args: ["-c", command], stdout: "null", stderr: "null" })
      .output();
  }
  const later = await hyperfine([
    ["dist/cm --version", dist(["--version"])],
    ["deno run main.ts --version", source(["--version"])],
    ["deno run of an empty file", sh([Deno.execPath(), "run", "--quiet", `${work}/empty.js`])],
    ["dist/cm apply, no-op (1 file)", dist(apply("dist-state"))],
    ["deno run main.ts apply, no-op (1 file)", source(apply("source-state"))],
  ], ["-w", "3", "-r", String(runs)]);
  const first = await hyperfine(
    [["dist/cm --version, first run (unpacks)", dist(["--version"])]],
    ["-r", String(Math.max(3, Math.round(runs / 4))), "--prepare", sh(["rm", "-rf", runtime])],
  );
  const empty = later.get("deno run of an empty file")!;
  const size = (await Deno.stat(path)).size / 2 ** 20;
  console.log(`dist/cm: ${artefact}, ${size.toFixed(1)} MiB; deno ${Deno.version.deno}`);
  console.log(`load average: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}\n`);
  console.log("| command | median | vs `deno run` of an empty file |");
  console.log("| --- | ---: | ---: |");
  for (const [name, median] of [...first, ...later]) {
    console.log(`| ${name} | ${(median * 1000).toFixed(0)} ms | ${(median / empty).toFixed(2)}× |`);
  }
} finally {
  await Deno.remove(work, { recursive: true });
}
