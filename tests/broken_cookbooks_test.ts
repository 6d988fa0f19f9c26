/**
 * The corpus of broken cookbooks: each file in tests/testdata/broken/ opens
 * with one `# expect: ` line per problem `cm validate` must report, e.g.
 *
 * ```yaml
 * # expect: 6:13: configure.files[0].mode: expected an octal mode like "0644" (3 or 4 digits 0-7), got "644x"
 * ```
 *
 * A line starting with `LINE:COL:` is about the file itself; one starting
 * with a relative path (`files/cycle_b.yaml:2:5: ...`) is about another file
 * of the corpus. `{dir}` stands for the corpus folder and `{root}` for the
 * repository root (the folder holding .git), so expectations do not depend on
 * where the checkout lives.
 *
 * Every case runs `cm validate` as a process under the shipped permission
 * flags (tests/harness.ts): the exit code, the exact stderr and the "nothing
 * was applied" line are part of the contract, and one process costs about
 * 0.1-0.3 s, so the whole corpus stays well under 20 s. The loader's finer
 * behaviour is tested in-process in src/cookbook/load_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCm } from "./harness.ts";

const DIR = new URL("./testdata/broken", import.meta.url).pathname;

/** The folder holding .git above `dir`, else `dir` (the loader's rule for `source:`). */
function repoRoot(dir: string): string {
  for (let d = dir; d !== "/"; d = d.slice(0, d.lastIndexOf("/")) || "/") {
    try {
      Deno.statSync(`${d}/.git`);
      return d;
    } catch { /* keep climbing */ }
  }
  return dir;
}

const ROOT = repoRoot(DIR);

/** The `# expect:` lines of a corpus file, as full stderr lines. */
function expectations(name: string, text: string): string[] {
  return text.split("\n")
    .filter((line) => line.startsWith("# expect: "))
    .map((line) => {
      const body = line.slice("# expect: ".length)
        .replaceAll("{dir}", DIR)
        .replaceAll("{root}", ROOT);
      return /^\d+:\d+: /.test(body) ? `${DIR}/${name}:${body}` : `${DIR}/${body}`;
    });
}

const cases = [...Deno.readDirSync(DIR)]
  .filter((entry) => entry.isFile && entry.name.endsWith(".yaml"))
  .map((entry) => entry.name)
  .sort();

Deno.test("the broken cookbook corpus holds at least 35 cases, each with expectations", () => {
  assert.ok(cases.length >= 35, `only ${cases.length} broken cookbooks`);
  for (const name of cases) {
    const expected = expectations(name, Deno.readTextFileSync(`${DIR}/${name}`));
    assert.ok(expected.length > 0, `${name} has no "# expect: " line`);
  }
});

for (const name of cases) {
  const label = name.replace(/\.yaml$/, "").replaceAll("_", " ");
  Deno.test(`cm validate rejects a cookbook with ${label}`, async () => {
    const expected = expectations(name, await Deno.readTextFile(`${DIR}/${name}`));
    const result = await runCm(["validate", `${DIR}/${name}`]);
    assert.equal(result.stdout, "", "validate prints nothing on stdout for a broken cookbook");
    assert.deepEqual(result.stderr.trimEnd().split("\n"), [
      ...expected,
      `cm: ${expected.length} problem(s) in the cookbooks; nothing was applied`,
    ]);
    assert.equal(result.code, 2);
  });
}

Deno.test("cm validate accepts the seed design's example (the corpus is not failing by accident)", async () => {
  const seed = new URL("./testdata/seed_example.yaml", import.meta.url).pathname;
  const result = await runCm(["validate", seed]);
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, `${seed}: valid, 5 resources\n`);
  assert.equal(result.code, 0);
});
