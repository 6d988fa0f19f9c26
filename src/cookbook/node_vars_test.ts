import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { CookbookError } from "../errors.ts";
import { loadCookbooks } from "./load.ts";
import { maskSecrets } from "../text.ts";
import { readNodeVars } from "./node_vars.ts";

const COOKBOOK = [
  "name: web",
  "vars:",
  "  db_password: changeme",
  "configure:",
  "  files:",
  "    - path: /srv/app.env",
  '      content: "DB_PASSWORD={{ db_password }}\\n"',
  "      sensitive: true",
  "",
].join("\n");

Deno.test("the node's vars file overrides the cookbooks' vars", async () => {
  await using dir = await tempDir();
  Deno.writeTextFileSync(`${dir.path}/web.yaml`, COOKBOOK);
  Deno.writeTextFileSync(`${dir.path}/vars.yaml`, "vars:\n  db_password: s3cret\n", {
    mode: 0o600,
  });
  const cookbook = await loadCookbooks(
    [`${dir.path}/web.yaml`],
    new RealExecutor(),
    { varsFile: `${dir.path}/vars.yaml` },
  );
  assert.equal(cookbook.resources[0].spec.content, "DB_PASSWORD=s3cret\n");

  // Also over the vars an include passes down.
  Deno.writeTextFileSync(
    `${dir.path}/top.yaml`,
    "name: top\ninclude:\n  - {cookbook: web.yaml, vars: {db_password: passed}}\n",
  );
  const included = await loadCookbooks([`${dir.path}/top.yaml`], new RealExecutor(), {
    varsFile: `${dir.path}/vars.yaml`,
  });
  assert.equal(included.resources[0].spec.content, "DB_PASSWORD=s3cret\n");
});

Deno.test("a vars file readable by others, a link or anything but a vars: mapping is refused", async () => {
  await using dir = await tempDir();
  const probe = new RealExecutor();
  const file = `${dir.path}/vars.yaml`;
  const message = (path = file) => {
    const found = readNodeVars(probe, path);
    return Array.isArray(found) ? found.map((p) => p.message).join("; ") : "accepted";
  };
  Deno.writeTextFileSync(file, "vars:\n  a: 1\n", { mode: 0o640 });
  Deno.chmodSync(file, 0o640);
  assert.match(message(), /is accessible by group or others \(mode 0640\)/);
  Deno.chmodSync(file, 0o600);
  assert.equal(message(), "accepted");
  Deno.symlinkSync(file, `${dir.path}/link.yaml`);
  assert.match(message(`${dir.path}/link.yaml`), /is not a regular file/);
  Deno.writeTextFileSync(file, "vars: [a]\nname: x\n");
  assert.match(message(), /expected only a vars: mapping/);
  assert.match(message(`${dir.path}/missing.yaml`), /not found/);
  await assert.rejects(
    loadCookbooks([`${dir.path}/missing.yaml`], probe, { varsFile: `${dir.path}/missing.yaml` }),
    CookbookError,
  );
});

/** `text` masked as output is, with the secrets of `web.yaml` loaded with a vars file holding `vars`. */
async function maskedWith(vars: string, text: string): Promise<string> {
  await using dir = await tempDir();
  Deno.writeTextFileSync(`${dir.path}/web.yaml`, COOKBOOK);
  Deno.writeTextFileSync(`${dir.path}/vars.yaml`, vars, { mode: 0o600 });
  const cookbook = await loadCookbooks([`${dir.path}/web.yaml`], new RealExecutor(), {
    varsFile: `${dir.path}/vars.yaml`,
  });
  return maskSecrets(text, cookbook.secrets ?? []);
}

Deno.test("a number of 8 digits or more in the vars file is masked as a text is", async () => {
  const vars = "vars:\n  pin: 12345678901\n  account: 0x7fffffff\n  port: 8080\n  ratio: 0.5\n";
  assert.equal(
    await maskedWith(vars, "pin=12345678901 account=2147483647 port=8080 ratio=0.5"),
    "pin=*** account=*** port=8080 ratio=0.5",
  );
});

Deno.test("a vars value is masked line by line (a --diff) and as JSON quotes it (a problem, the audit log)", async () => {
  const vars =
    'vars:\n  key: "line-one-secret\\nline-two-secret\\n"\n  quoted: \'say "hello-world"\'\n';
  assert.equal(
    await maskedWith(vars, "+line-one-secret\n+line-two-secret\n"),
    "+***\n+***\n",
  );
  assert.equal(await maskedWith(vars, `got ${JSON.stringify('say "hello-world"')}`), 'got "***"');
  assert.equal(
    await maskedWith(vars, JSON.stringify({ content: "line-one-secret\nline-two-secret\n" })),
    '{"content":"***"}',
  );
});

Deno.test("a cookbook problem quoting a value of the vars file shows it masked", async () => {
  await using dir = await tempDir();
  Deno.writeTextFileSync(
    `${dir.path}/web.yaml`,
    'vars: {mode: "0600"}\nconfigure:\n  files:\n    - path: /srv/app.env\n      content: x\n      mode: "{{ mode }}"\n',
  );
  Deno.writeTextFileSync(`${dir.path}/vars.yaml`, "vars: {mode: hunter2hunter2}\n", {
    mode: 0o600,
  });
  await assert.rejects(
    loadCookbooks([`${dir.path}/web.yaml`], new RealExecutor(), {
      varsFile: `${dir.path}/vars.yaml`,
    }),
    (e: CookbookError) => {
      assert.match(e.problems[0].message, /expected an octal mode .*, got "\*\*\*"$/);
      assert.equal(JSON.stringify(e.problems).includes("hunter2"), false, e.message);
      return true;
    },
  );
});

Deno.test("a vars value of blanks is not masked: every indentation of output would be", async () => {
  const vars = 'vars:\n  indent: "        "\n  tabs: "\\t\\t\\t\\t\\t\\t\\t\\t"\n';
  const text = "        setting = 1\n\t\t\t\t\t\t\t\tx";
  assert.equal(await maskedWith(vars, text), text);
});
