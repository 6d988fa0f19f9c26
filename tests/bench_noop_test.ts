/**
 * The no-op benchmark and the profile still run (so they cannot rot): each is
 * run with `--quick` (tiny cookbooks, one run) and must print its table rows.
 * No timing is asserted: figures on a shared machine are not pass/fail.
 *
 * How to run: `deno test -A tests/bench_noop_test.ts` (needs dpkg-query, as
 * the benchmark cookbooks hold installed packages; ignored without it).
 *
 * @module
 */
import assert from "node:assert/strict";

const BENCH = new URL("../bench/", import.meta.url).pathname;

function hasDpkg(): boolean {
  try {
    return new Deno.Command("dpkg-query", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function runBench(script: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${BENCH}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${script} exited ${code}:\n${out}\n${new TextDecoder().decode(stderr)}`);
  return out;
}

/** The table row whose first cells are `cells`, or undefined. */
function row(out: string, ...cells: string[]): string | undefined {
  return out.split("\n").find((line) => {
    const got = line.split("|").slice(1, -1).map((c) => c.trim());
    return cells.every((c, i) => got[i] === c);
  });
}

const ignore = !hasDpkg();
if (ignore) console.log("bench_noop_test: no dpkg-query on this machine; benchmark tests ignored");

Deno.test({
  name: "bench/noop.ts --quick prints every command, ratio and target row",
  ignore,
  async fn() {
    const out = await runBench("noop.ts", ["--quick"]);
    assert.match(out, /^machine: nproc \d+; .*deno \d+\.\d+/m);
    assert.match(out, /^packages \(20, installed\): /m);
    for (const size of ["0", "10", "50"]) {
      for (const command of ["cm apply (no-op)", "cm plan (no-op)", "floor: lstat+read+sha256"]) {
        assert.ok(row(out, command, size), `no row for ${command} at ${size} files:\n${out}`);
      }
      assert.ok(row(out, "floor + 1 dpkg-query", size), out);
      assert.ok(row(out, size), `no ratio row for ${size} files:\n${out}`);
    }
    assert.ok(row(out, "cm --version", "-"), out);
    assert.ok(row(out, "deno run empty.ts", "-"), out);
    for (
      const target of [
        "cm apply / floor @10",
        "cm apply / (floor + dpkg-query) @10",
        "cm apply peak RSS @10",
        "cm --version / deno run empty.ts",
      ]
    ) {
      assert.ok(row(out, target), `no target row ${target}:\n${out}`);
    }
    // Every wall-time cell is a number of seconds.
    const apply = row(out, "cm apply (no-op)", "50")!.split("|").map((c) => c.trim());
    assert.match(apply[3], /^\d+\.\d{3}$/);
  },
});

Deno.test({
  name: "bench/profile.ts --quick prints the import and phase tables",
  ignore,
  async fn() {
    const out = await runBench("profile.ts", ["--quick"]);
    for (
      const label of [
        "empty file",
        "node:process (the Node compatibility layer alone)",
        "yaml",
        "zod",
        "yaml + zod",
        "cm apply (src/cli/commands/apply.ts)",
      ]
    ) {
      assert.ok(row(out, label), `no import row ${label}:\n${out}`);
    }
    for (
      const phase of [
        "loadCookbooks: YAML parse, vars, zod, checks",
        "again, warm: yaml parseDocument",
        "run(apply) no-op: the same again",
        "recordRun: write run report + state (fsync)",
        "lstat+read+sha256",
      ]
    ) {
      assert.ok(row(out, phase), `no row ${phase}:\n${out}`);
    }
    assert.match(row(out, "run(apply) no-op: the same again")!, /0 changed/);
  },
});

Deno.test({
  name: "bench/floor.ts hashes the listed files and checks packages in one dpkg-query",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cm-bench-test-" });
    try {
      await Deno.writeTextFile(`${dir}/a`, "hello\n");
      await Deno.writeTextFile(`${dir}/b`, "world\n");
      await Deno.writeTextFile(`${dir}/list`, `${dir}/a\n${dir}/b\n`);
      const out = await runBench("floor.ts", [`${dir}/list`, "--dpkg", "dpkg"]);
      assert.match(out, /^files=2 bytes=12 digest=[0-9a-f]{16} packages=1$/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
