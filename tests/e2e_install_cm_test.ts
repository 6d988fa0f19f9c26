/**
 * dist/cm, the file the end-to-end tests install in servers
 * (tests/e2e/install_cm.ts) and operators copy, is the program from source:
 * same output, same exit codes. Runs on the host, no server needed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ensureDistCm } from "../scripts/dist.ts";
import { runCm, tempDir } from "./harness.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BROKEN = `${HERE}testdata/broken`;

Deno.test("dist/cm prints the same as cm from source for help, validate and broken cookbooks", async () => {
  const { path, artefact } = await ensureDistCm();
  await using runtime = await tempDir("cm-runtime-");
  const broken = [...Deno.readDirSync(BROKEN)].filter((e) => e.name.endsWith(".yaml"))
    .map((e) => `${BROKEN}/${e.name}`).sort();
  const cases = [
    ["--help"],
    ["apply", "--help"],
    ["validate", `${HERE}../cookbooks/hello-web.yaml`, `${HERE}testdata/seed_example.yaml`],
    ["validate", ...broken],
    ["frobnicate"],
  ];
  const shipped = async (args: string[]) => {
    const out = await new Deno.Command(path, {
      args,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/root",
        CM_RUNTIME_DIR: runtime.path,
      },
    }).output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  };
  for (const args of cases) {
    assert.deepEqual(await shipped(args), await runCm(args), `cm ${args.join(" ").slice(0, 200)}`);
  }
  const version = await shipped(["--version"]);
  const source = await runCm(["--version"]);
  // A self-extracting build names itself by its payload's sha256 (the header's), as the runtime cache does.
  const build = payloadSha256(path);
  assert.equal(
    version.stdout,
    source.stdout.replace("from source", artefact)
      .replace(/\)\n$/, build ? `, build ${build.slice(0, 12)})\n` : ")\n"),
  );
  console.log(`compared dist/cm (${artefact}) with cm from source`);
});

/** The payload sha256 a self-extracting executable's header names; undefined for another binary. */
function payloadSha256(path: string): string | undefined {
  using file = Deno.openSync(path);
  const head = new Uint8Array(4096);
  const n = file.readSync(head) ?? 0;
  return /^payload_sha256=([0-9a-f]{64})$/m.exec(new TextDecoder().decode(head.subarray(0, n)))
    ?.[1];
}
