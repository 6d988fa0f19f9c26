/**
 * Scaling of two inner loops a cookbook's size can blow up, as figures, never asserted:
 *
 *   deno task bench scaling [--runs N]
 *
 * - `didYouMean` of an unknown 300-character package name and of a near miss
 *   over 60,000 package names (apt's count), against lowercasing the names
 *   once (the least any search must do). Edit distances it could never accept
 *   once cost a plan 33 s.
 * - `scopes` filling a 20,000-entry `vars:` list, against one copy of those
 *   entries (a copy of the scope per var made it quadratic).
 *
 * Prints each one's median of N runs (default 7) in ms and its ratio to the baseline.
 *
 * @module
 */
import { didYouMean } from "../src/text.ts";
import { scopes } from "../src/cookbook/vars.ts";
import type { Instance } from "../src/cookbook/parse.ts";
import type { YamlSource } from "../src/cookbook/yaml_source.ts";

const runsAt = Deno.args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(Deno.args[runsAt + 1]) : 7;

function median(work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

function report(name: string, ms: number, baselineMs: number, baseline: string): void {
  const ratio = (ms / baselineMs).toFixed(1);
  console.log(`${name}: ${ms.toFixed(1)} ms, ${ratio}× ${baseline} (${baselineMs.toFixed(1)} ms)`);
}

const names = Array.from({ length: 60_000 }, (_, i) => `libpackage-name-${i}`);
report(
  "didYouMean, 60,000 names, 300-character unknown + near miss",
  median(() => [didYouMean("a".repeat(300), names), didYouMean("libpackage-name-4242x", names)]),
  median(() => names.map((n) => n.toLowerCase())),
  "lowercasing the names",
);

const vars = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`v${i}`, `${i}`]));
const instance = { source: { raw: { vars } } as YamlSource } as Instance;
report(
  "scopes, 20,000 vars",
  median(() => scopes([instance], (text) => text, { node: "n" })),
  median(() => ({ ...vars })),
  "one copy of the vars",
);
