/**
 * bench/compare.ts still runs (so it cannot rot): cm and the floor only, with
 * `--quick` (tiny workloads, one run), must print a row for every workload,
 * the floors and the targets. The other tools are left out: they take minutes
 * and would need installing. No timing is asserted.
 *
 * How to run: `deno test -A tests/bench_compare_test.ts` (as root, like the
 * benchmark; needs dpkg-query for the package workload; ignored otherwise).
 *
 * @module
 */
import assert from "node:assert/strict";

const COMPARE = new URL("../bench/compare.ts", import.meta.url).pathname;

function canRun(): boolean {
  try {
    return Deno.uid() === 0 && new Deno.Command("dpkg-query", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** The cells of the table row whose first cell is `first`, or undefined. */
function row(out: string, first: string): string[] | undefined {
  return out.split("\n")
    .map((line) => line.split("|").slice(1, -1).map((c) => c.trim()))
    .find((cells) => cells[0] === first);
}

const ignore = !canRun();
if (ignore) console.log("bench_compare_test: needs root and dpkg-query; ignored");

Deno.test({
  name: "bench/compare.ts --quick --tools cm prints every workload, floor and target",
  ignore,
  async fn() {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", COMPARE, "--quick", "--tools", "cm,floor", "--no-install"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, `exit ${code}:\n${out}\n${new TextDecoder().decode(stderr)}`);
    assert.match(out, /^machine: \d+ CPUs/m);
    assert.match(out, /^load average before: [\d.]+ [\d.]+ [\d.]+; after: /m);
    const workloads = [
      "startup: empty cookbook",
      "20 files: first converge",
      "20 files: no-op",
      "20 files: 10 drifted",
      "100 files: no-op",
      "100 files: first converge",
      "3 installed packages: no-op",
      "5 guarded commands: no-op",
    ];
    for (const label of workloads) {
      const cells = row(out, label);
      assert.ok(cells, `no row for ${label}:\n${out}`);
      assert.match(cells[1], /^\d+\.\d{3} s · \d+ MiB$/, `cm cell of ${label}: ${cells[1]}`);
    }
    // The floors: an empty program, the write floor and the read floor, each with cm's ratio.
    for (
      const label of [
        "startup: empty cookbook",
        "20 files: first converge",
        "20 files: no-op",
        "100 files: first converge",
      ]
    ) {
      assert.match(row(out, label)![2], /^\d+\.\d{3} s · cm \d+\.\d\d×$/, label);
    }
    assert.ok(row(out, "cm empty cookbook ÷ deno run of an empty file"), out);
    for (const size of [20, 100]) {
      assert.ok(row(out, `cm ÷ write floor (fsync, rename), ${size} files: first converge`), out);
      assert.ok(row(out, `cm peak memory, ${size} files: first converge`), out);
    }
    assert.ok(row(out, "cm peak memory, 20 files: no-op"), out);
  },
});
