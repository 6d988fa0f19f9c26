/**
 * The cm that the end-to-end tests install in servers (tests/e2e/install_cm.ts)
 * is the program from source: same flags, same output. Runs on the host, no
 * server needed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PERMISSION_FLAGS } from "../src/permissions.ts";
import { runCm, tempDir } from "./harness.ts";
import { buildCmBundle, wrapperScript } from "./e2e/install_cm.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BROKEN = `${HERE}testdata/broken`;

Deno.test("the cm wrapper runs deno with exactly the shipped permission flags", () => {
  const exec = wrapperScript("/opt/cm").split("\n").find((l) => l.startsWith("exec "));
  assert.deepEqual(exec?.split(" "), [
    "exec",
    "/opt/cm/deno",
    "run",
    "--quiet",
    "--no-config",
    ...PERMISSION_FLAGS,
    "/opt/cm/cm.js",
    '"$@"',
  ]);
});

Deno.test("the bundled cm prints the same as cm from source for help, validate and broken cookbooks", async () => {
  const bundle = await buildCmBundle();
  await using lib = await tempDir("cm-lib-");
  await Deno.symlink(Deno.execPath(), `${lib.path}/deno`);
  await Deno.symlink(`${bundle}/cm.js`, `${lib.path}/cm.js`);
  await Deno.writeTextFile(`${lib.path}/cm`, wrapperScript(lib.path), { mode: 0o755 });

  const broken = [...Deno.readDirSync(BROKEN)].filter((e) => e.name.endsWith(".yaml"))
    .map((e) => `${BROKEN}/${e.name}`).sort();
  const cases = [
    ["--version"],
    ["--help"],
    ["apply", "--help"],
    ["validate", `${HERE}../cookbooks/hello-web.yaml`, `${HERE}testdata/seed_example.yaml`],
    ["validate", ...broken],
    ["frobnicate"],
  ];
  for (const args of cases) {
    const source = await runCm(args);
    const out = await new Deno.Command(`${lib.path}/cm`, {
      args,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root" },
    }).output();
    const d = new TextDecoder();
    assert.deepEqual(
      { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) },
      source,
      `cm ${args.join(" ").slice(0, 200)}`,
    );
  }
});
