/**
 * bootstrap.sh on this machine: syntax, shellcheck, argument handling and the
 * binary checks that run before anything is installed. The full node set-up
 * runs on a fresh server in sync_testbed_test.ts.
 */
import assert from "node:assert/strict";

const SCRIPT = new URL("../bootstrap.sh", import.meta.url).pathname;

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

Deno.test("bootstrap.sh passes bash -n and shellcheck", async () => {
  const syntax = await run(["bash", "-n", SCRIPT]);
  assert.equal(syntax.code, 0, syntax.out);
  const lint = await run(["shellcheck", SCRIPT]);
  assert.equal(lint.code, 0, lint.out);
});

Deno.test("bootstrap.sh rejects unknown arguments and malformed checksums", async () => {
  const unknown = await run(["bash", SCRIPT, "--frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.out, /unknown argument: --frobnicate/);
  const sum = await run([
    "bash",
    SCRIPT,
    "--repo",
    "file:///x",
    "--binary",
    "/bin/true",
    "--sha256",
    "abc",
  ]);
  assert.notEqual(sum.code, 0);
  assert.match(sum.out, /--sha256 expects 64 hex digits/);
});

Deno.test("bootstrap.sh refuses a binary whose SHA-256 does not match, and a URL without one", async () => {
  const wrong = await run([
    "bash",
    SCRIPT,
    "--repo",
    "file:///x",
    "--binary",
    "/bin/true",
    "--sha256",
    "0".repeat(64),
    "--no-sync",
  ]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /SHA-256 mismatch for \/bin\/true/);
  const url = await run([
    "bash",
    SCRIPT,
    "--repo",
    "file:///x",
    "--binary",
    "https://example.com/cm",
    "--no-sync",
  ]);
  assert.notEqual(url.code, 0);
  assert.match(url.out, /--binary from a URL needs --sha256/);
});
