/**
 * `deno task compile` for real. Where Deno can get its `denort` runtime
 * (network, or DENORT_BIN) the `deno compile` binary is built and run;
 * the self-extracting executable is built and run either way, and checked to
 * refuse a damaged copy of itself. Each test prints which artefact it ran.
 */
import assert from "node:assert/strict";
import { compile, denortReason } from "../scripts/compile.ts";
import { ensureDistCm } from "../scripts/dist.ts";
import { buildSelfExtracting } from "../scripts/self_extracting.ts";
import { type CmResult, tempDir } from "./harness.ts";

const HEADER = new URL("../scripts/self_extracting_header.sh", import.meta.url).pathname;

/** Runs `binary ...args` in a clean environment with the runtime cache at `runtime`. */
async function run(binary: string, args: string[], runtime: string): Promise<CmResult> {
  const out = await new Deno.Command(binary, {
    args,
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/nonexistent", CM_RUNTIME_DIR: runtime },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** Checks that `binary` is the named artefact and applies a one-file cookbook. */
async function assertConverges(binary: string, artefact: string, dir: string): Promise<void> {
  const version = await run(binary, ["--version"], `${dir}/runtime`);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^\\d+\\.\\d+\\.\\d+ \\(${artefact}, deno `));
  const book = `${dir}/book.yaml`;
  await Deno.writeTextFile(
    book,
    `configure:\n  files:\n    - path: ${dir}/out\n      content: x\n`,
  );
  const applied = await run(
    binary,
    ["apply", "--state-dir", `${dir}/state`, book],
    `${dir}/runtime`,
  );
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/out`), "x");
}

/** Entries of a directory, [] when it does not exist. */
function entries(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

Deno.test("deno compile builds one executable that runs cm with the baked permissions", async () => {
  await using dir = await tempDir();
  const binary = `${dir.path}/cm`;
  const { ok, log } = await compile(binary);
  if (!ok) {
    assert.match(log, /denort/, `deno compile failed for another reason than its runtime:\n${log}`);
    console.log(`deno compile binary NOT built: no denort runtime (${denortReason(log)})`);
    return;
  }
  await assertConverges(binary, "deno compile binary", dir.path);
  console.log(`tested the deno compile binary ${binary}`);
});

Deno.test("the self-extracting cm unpacks once into a private cache and runs cm", async () => {
  await using dir = await tempDir();
  const binary = `${dir.path}/cm`;
  await buildSelfExtracting(binary);
  const runtime = `${dir.path}/runtime`;
  const [a, b] = await Promise.all([
    run(binary, ["--version"], runtime),
    run(binary, ["--version"], runtime),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.stdout, a.stdout);
  const [hash, ...others] = entries(runtime);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(others, [], "two concurrent first runs leave one cache and no temp dir");
  assert.equal(Deno.statSync(runtime).mode! & 0o777, 0o700);
  assert.equal(Deno.statSync(`${runtime}/${hash}`).mode! & 0o777, 0o700);
  await assertConverges(binary, "self-extracting executable", dir.path);
  console.log(`tested the self-extracting executable (${Deno.statSync(binary).size} bytes)`);
});

/** A self-extracting cm at `dir`/cm: a copy of dist/cm when it is one, else built there. */
async function selfExtractingIn(dir: string): Promise<{ binary: string; artefact: string }> {
  const { path, artefact } = await ensureDistCm();
  const binary = `${dir}/cm`;
  if (artefact === "self-extracting executable") await Deno.copyFile(path, binary);
  else await buildSelfExtracting(binary);
  return { binary, artefact };
}

Deno.test("a newer cm's first run removes older runtimes, but not one a cm still runs from", async () => {
  await using dir = await tempDir();
  const { binary } = await selfExtractingIn(dir.path);
  const runtime = `${dir.path}/runtime`;
  const [busy, idle] = ["a".repeat(64), "b".repeat(64)];
  for (const old of [busy, idle]) {
    await Deno.mkdir(`${runtime}/${old}`, { recursive: true, mode: 0o700 });
    await Deno.copyFile("/bin/sleep", `${runtime}/${old}/deno`);
  }
  // An older cm still running from its runtime (cm watch, a sync under way) as the new one unpacks.
  const older = new Deno.Command(`${runtime}/${busy}/deno`, { args: ["60"] }).spawn();
  try {
    const r = await run(binary, ["--version"], runtime);
    assert.equal(r.code, 0, r.stderr);
    const left = entries(runtime);
    assert.ok(left.includes(busy), "the runtime in use stays");
    assert.ok(!left.includes(idle), "the idle one goes");
    assert.equal(left.length, 2, left.join(" "));
  } finally {
    older.kill();
    await older.status;
  }
});

Deno.test("a damaged self-extracting cm refuses to run and leaves no cache behind", async () => {
  await using dir = await tempDir();
  const { binary, artefact } = await selfExtractingIn(dir.path);
  const bytes = await Deno.readFile(binary);

  const flipped = bytes.slice();
  flipped[bytes.length - 1000] ^= 0x01;
  const truncated = bytes.slice(0, bytes.length - 4096);
  for (
    const [name, damaged] of [["one byte altered", flipped], ["truncated", truncated]] as const
  ) {
    await Deno.writeFile(binary, damaged, { mode: 0o755 });
    const runtime = `${dir.path}/runtime-${name.replaceAll(" ", "-")}`;
    const r = await run(binary, ["--version"], runtime);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^cm: refusing to run ".*\/cm": the file is damaged \(payload sha256 [0-9a-f]{64}, expected [0-9a-f]{64}; truncated or altered\): copy it again\n$/,
      name,
    );
    assert.equal(r.stdout, "", name);
    assert.deepEqual(entries(runtime), [], `${name}: the cache holds nothing`);
  }
  console.log(
    `tested a damaged copy of the ${
      artefact === "self-extracting executable" ? "dist/cm" : "self-extracting executable"
    }`,
  );
});

Deno.test("the self-extracting header passes sh -n and shellcheck", async () => {
  for (const argv of [["sh", "-n", HEADER], ["shellcheck", "-s", "sh", HEADER]]) {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1) }).output();
    const d = new TextDecoder();
    assert.equal(out.code, 0, d.decode(out.stdout) + d.decode(out.stderr));
  }
});
