/**
 * bootstrap.sh on this machine: syntax, shellcheck, argument handling and the
 * binary checks that run before anything is installed. The full node set-up
 * runs on a fresh server in sync_testbed_test.ts.
 */
import assert from "node:assert/strict";
import { tempDir, withStdin } from "../src/_testing.ts";

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

Deno.test("bootstrap.sh --help works under curl | bash and names every option it accepts", async () => {
  const script = await Deno.readTextFile(SCRIPT);
  const out = await withStdin("bash", ["-s", "--", "--help"], script);
  const help = out.stdout;
  assert.equal(out.code, 0);
  const accepted = [...script.matchAll(/^\t(-[-a-z0-9| ]+)\) /gm)]
    .flatMap((m) => m[1].split("|").map((o) => o.trim()));
  assert.ok(accepted.length >= 12, `options found in the parser: ${accepted}`);
  for (const option of accepted) {
    assert.match(help, new RegExp(`^  (-h, )?${option}\\b`, "m"), `${option} missing from --help`);
  }
});

Deno.test("bootstrap.sh takes durations as the config file does and refuses others", async () => {
  // Out of cm's range (1 s to 23 days) too: written to the node configuration, it would stop
  // every sync of a node bootstrapped before, its timer's included.
  for (const bad of ["5x", "-1", "1m30s", "", "0", "0.5", "2000001", "556h", "9".repeat(19)]) {
    // A binary that does not exist: were a value let through, the set-up stops before any change.
    const r = await run([
      "bash",
      SCRIPT,
      "--repo",
      "file:///x",
      "--interval",
      bad,
      "--binary",
      "/nonexistent/cm",
      "--no-sync",
    ]);
    assert.notEqual(r.code, 0, bad);
    assert.match(
      r.out,
      /--interval (expects seconds or a duration like 30s, 5m, 1h|needs a duration)/,
    );
  }
  // Accepted durations get as far as the binary check (a wrong checksum stops it there).
  for (const good of ["300", "5m", "30s", "1h", "0.5", "0", "555h"]) {
    const r = await run([
      "bash",
      SCRIPT,
      "--repo",
      "file:///x",
      "--splay",
      good,
      "--binary",
      "/bin/true",
      "--sha256",
      "0".repeat(64),
      "--no-sync",
    ]);
    assert.match(r.out, /SHA-256 mismatch/, good);
  }
  const lone = await run(["bash", SCRIPT, "--repo", "file:///x", "--sha256", "0".repeat(64)]);
  assert.match(lone.out, /--sha256 checks --binary: give both/);
});

Deno.test("bootstrap.sh refuses a secret in --repo before writing it anywhere, without showing it", async () => {
  for (const repo of ["https://hunter2tok@h/r.git", "ssh://u:hunter2pw@h/r.git"]) {
    const r = await run(["bash", SCRIPT, "--repo", repo, "--binary", "/nonexistent", "--no-sync"]);
    assert.equal(r.code, 1, repo);
    assert.match(r.out, /--repo: a password, or a user name in an https URL .*--credentials FILE/);
    assert.ok(!r.out.includes("hunter2"), r.out);
  }
  const user = await run(["bash", SCRIPT, "--repo", "ssh://git@h/r.git", "--binary", "/none"]);
  assert.match(user.out, /--binary \/none: no such file/);
});

Deno.test("bootstrap.sh refuses node-only options without --repo instead of ignoring them", async () => {
  const adhoc = await run(["bash", SCRIPT, "--binary", "/nonexistent/cm", "--interval", "5m"]);
  assert.equal(adhoc.code, 1);
  assert.match(
    adhoc.out,
    /refusing --interval without --repo: only a node set-up syncs; an ad hoc set-up has no sync timer/,
  );
  const dev = await run(["bash", SCRIPT, "--dev", "--cookbook", "x.yaml", "--no-sync"]);
  assert.match(dev.out, /refusing --cookbook --no-sync without --repo/);
});

/** Runs `body` after bootstrap.sh's definitions (the script without its argument handling). */
async function withDefinitions(
  body: string,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  const script = await Deno.readTextFile(SCRIPT);
  const definitions = script.slice(0, script.indexOf("# ---- arguments"));
  return run(["bash", "-c", `${definitions}\n${body}`, "bootstrap", ...args]);
}

/** Runs `write_config` of bootstrap.sh in `dir`. */
async function writeConfig(dir: string, interval: string): Promise<string> {
  const r = await withDefinitions(
    'CONFIG_DIR="$1" REPO=file:///x BRANCH=main COOKBOOKS=() INTERVAL="$2" SPLAY=60 ' +
      'CREDENTIALS="" && write_config',
    dir,
    interval,
  );
  assert.equal(r.code, 0, r.out);
  return r.out;
}

Deno.test("bootstrap.sh run again rewrites the node configuration it wrote, and keeps one edited by hand", async () => {
  await using dir = await tempDir("cm-bootstrap-test-");
  const config = `${dir.path}/config.yaml`;
  assert.match(await writeConfig(dir.path, "300"), /installed .*config\.yaml/);
  assert.match(await writeConfig(dir.path, "300"), /config\.yaml is up to date/);
  assert.match(await writeConfig(dir.path, "5m"), /installed .*config\.yaml/);
  assert.match(await Deno.readTextFile(config), /^interval: 5m$/m);

  await Deno.writeTextFile(config, "cookbooks: [nodes/web1.yaml]\n", { append: true });
  assert.match(
    await writeConfig(dir.path, "30s"),
    /kept .*config\.yaml: edited since bootstrap wrote it, so these options were not written/,
  );
  const kept = await Deno.readTextFile(config);
  assert.match(kept, /^interval: 5m\nsplay: 60\ncookbooks: \[nodes\/web1\.yaml\]$/m);
});

Deno.test("bootstrap.sh says whether a failed sync left the node without a timer or with the one it had", async () => {
  await using dir = await tempDir("cm-bootstrap-test-");
  await Deno.writeTextFile(`${dir.path}/cm`, "#!/bin/sh\nexit 4\n", { mode: 0o755 });
  const setUp = () =>
    withDefinitions(
      "for f in need_root apt_install binary_source install_binary install_manual make_dirs " +
        'write_config; do eval "$f() { :; }"; done\n' +
        'CM_BIN="$1/cm" TIMER_FILE="$1/timer" REPO=file:///x SHA256="" RUN_SYNC=1 && node_setup',
      dir.path,
    );
  const first = await setUp();
  assert.equal(first.code, 4, first.out);
  assert.match(
    first.out,
    /the first sync exited 4 \(cm status tells why\): the timer is not enabled/,
  );
  await Deno.writeTextFile(`${dir.path}/timer`, "[Timer]\n");
  const again = await setUp();
  assert.equal(again.code, 4);
  assert.match(
    again.out,
    /the sync exited 4 .*: the timer installed before still runs it every interval/,
  );
});
