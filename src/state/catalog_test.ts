import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { loadCookbooks } from "../cookbook/load.ts";
import { thaw } from "../cookbook/catalog.ts";
import { readCatalog, writeCatalog } from "./catalog.ts";

const exec = new RealExecutor();

/** The cookbooks the catalog at `catalog` gives back for `requested`, or `null` (stale). */
async function thawedAt(catalog: string, requested: string[]) {
  return (await readCatalog(exec, catalog, requested)).thawed;
}

async function fixture(dir: string) {
  Deno.mkdirSync(`${dir}/.git`);
  Deno.writeTextFileSync(`${dir}/site.tmpl`, "host {{ facts.hostname }}\n");
  Deno.writeTextFileSync(`${dir}/blob`, "verbatim");
  const book = `${dir}/book.yaml`;
  Deno.writeTextFileSync(
    book,
    `configure:
  files:
    - path: ${dir}/out/site
      template: site.tmpl
    - path: ${dir}/out/blob
      source: blob
  services:
    - name: nginx
      restart_on: [${dir}/out/site]
`,
  );
  const cookbook = await loadCookbooks([book], exec);
  const catalog = `${dir}/catalog.json`;
  await writeCatalog(exec, catalog, cookbook, { "file[/x]": "ab12" });
  return { book, cookbook, catalog };
}

Deno.test("the catalog gives back the loaded cookbooks while nothing they came from changed", async () => {
  await using dir = await tempDir();
  const { book, cookbook, catalog } = await fixture(dir.path);
  const cached = (await thawedAt(catalog, [book]))!;
  assert.deepEqual(
    cached.cookbook,
    JSON.parse(JSON.stringify(cookbook)),
    "plain data, kinds by name",
  );
  assert.deepEqual(cached.digests, { "file[/x]": "ab12" });
  assert.equal(
    cached.cookbook.resources[0].spec.content,
    `host ${Deno.hostname().split(".")[0]}\n`,
  );
});

Deno.test("the catalog is not used when a cookbook, a template or the paths asked for changed", async () => {
  await using dir = await tempDir();
  const { book, catalog } = await fixture(dir.path);
  assert.equal(await thawedAt(catalog, [book, book]), null, "other paths");
  Deno.writeTextFileSync(`${dir.path}/site.tmpl`, "host {{ facts.hostname }} \n");
  assert.equal(await thawedAt(catalog, [book]), null, "template changed");
  Deno.writeTextFileSync(`${dir.path}/site.tmpl`, "host {{ facts.hostname }}\n");
  assert.notEqual(await thawedAt(catalog, [book]), null, "template back as it was");
  Deno.writeTextFileSync(book, Deno.readTextFileSync(book) + "# a comment\n");
  assert.equal(await thawedAt(catalog, [book]), null, "cookbook changed");
});

Deno.test("the catalog is not used when a fact it used has another value now", async () => {
  await using dir = await tempDir();
  const { book, catalog } = await fixture(dir.path);
  const saved = JSON.parse(Deno.readTextFileSync(catalog));
  saved.inputs.facts.hostname = "another-host";
  Deno.writeTextFileSync(catalog, JSON.stringify(saved));
  assert.equal(await thawedAt(catalog, [book]), null);
});

Deno.test("the catalog is not used when a source became a link out of the repository", async () => {
  await using dir = await tempDir();
  const { book, catalog } = await fixture(dir.path);
  Deno.removeSync(`${dir.path}/blob`);
  Deno.symlinkSync("/etc/passwd", `${dir.path}/blob`);
  assert.equal(await thawedAt(catalog, [book]), null);
});

Deno.test("a missing or corrupt catalog is simply not used", async () => {
  await using dir = await tempDir();
  const { book, catalog } = await fixture(dir.path);
  Deno.writeTextFileSync(catalog, "{not json");
  assert.equal(await thawedAt(catalog, [book]), null);
  Deno.removeSync(catalog);
  assert.equal(await thawedAt(catalog, [book]), null);
});

Deno.test("cookbooks with secrets are cached sealed: no secret, no hash of one, in the clear", async () => {
  await using dir = await tempDir();
  const [book, vars, catalog] = ["book.yaml", "vars.yaml", "catalog.json"].map((n) =>
    `${dir.path}/${n}`
  );
  Deno.writeTextFileSync(
    book,
    `vars:\n  token: default-token\nconfigure:\n  files:\n    - path: ${dir.path}/key\n      content: s3cret-in-the-cookbook\n      sensitive: true\n    - path: ${dir.path}/app.conf\n      content: "token={{ token }}"\n`,
  );
  Deno.writeTextFileSync(vars, "vars:\n  token: node-secret-value\n", { mode: 0o600 });
  const loaded = await loadCookbooks([book], exec, { varsFile: vars });
  await writeCatalog(exec, catalog, loaded, { "file[/x]": "ab12" });
  const text = Deno.readTextFileSync(catalog);
  for (const secret of ["s3cret-in-the-cookbook", "node-secret-value", "default-token", '"key"']) {
    assert.equal(text.includes(secret), false, secret);
  }
  const thawed = (await readCatalog(exec, catalog, [book], vars)).thawed;
  const asJson = JSON.parse(JSON.stringify(loaded));
  assert.deepEqual(thawed, { cookbook: asJson, digests: { "file[/x]": "ab12" } });
  assert.equal(
    (await readCatalog(exec, catalog, [book])).thawed,
    null,
    "asked without the vars file",
  );
  const sealed = JSON.parse(text);
  sealed.sealed = sealed.sealed.replace(/^.{20}/, (s: string) => s.split("").reverse().join(""));
  assert.equal((await thaw(exec, JSON.stringify(sealed), [book], vars)).thawed, null, "damaged");
  Deno.chmodSync(vars, 0o644);
  assert.equal(
    (await readCatalog(exec, catalog, [book], vars)).thawed,
    null,
    "a vars file cm refuses",
  );
  Deno.chmodSync(vars, 0o600);
  Deno.writeTextFileSync(vars, "vars:\n  token: rotated-secret\n");
  assert.equal((await readCatalog(exec, catalog, [book], vars)).thawed, null, "vars file changed");
});

Deno.test("a tampered, swapped or replayed sealed catalog reads as stale, never as its resources", async () => {
  await using dir = await tempDir();
  const [book, vars, catalog] = ["book.yaml", "vars.yaml", "catalog.json"].map((n) =>
    `${dir.path}/${n}`
  );
  Deno.writeTextFileSync(
    book,
    `configure:\n  files:\n    - path: ${dir.path}/app.conf\n      content: "{{ token }}"\n`,
  );
  const seal = async (token: string) => {
    Deno.writeTextFileSync(vars, `vars: {token: ${token}}\n`, { mode: 0o600 });
    await writeCatalog(exec, catalog, await loadCookbooks([book], exec, { varsFile: vars }), {});
    return Deno.readTextFileSync(catalog);
  };
  const opened = async (text: string) => (await thaw(exec, text, [book], vars)).thawed;
  const old = await seal("old-secret-value");
  const now = await seal("new-secret-value");
  assert.equal(await opened(old), null, "an old catalog replayed over the new vars file");
  assert.ok(await opened(now));
  const envelope = JSON.parse(now);
  const edited = (edit: (e: typeof envelope) => void) => {
    const e = structuredClone(envelope);
    edit(e);
    return JSON.stringify(e);
  };
  const blob: string = envelope.sealed;
  const tampered = [
    edited((e) => e.sealed = blob.slice(0, blob.length / 2)),
    edited((e) => e.sealed = blob.slice(0, 8)),
    edited((e) => e.sealed = ""),
    edited((e) => e.sealed = `${blob.slice(0, -4)}${blob.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`),
    edited((e) => e.sealed = "not base64!"),
    edited((e) => e.sealed = 42),
    edited((e) => e.inputs.files = e.inputs.files.filter((f: string) => f !== vars)),
    edited((e) => delete e.inputs.varsFile),
    edited((e) => e.format = 6),
    now.slice(0, now.length / 2),
  ];
  for (const [i, text] of tampered.entries()) assert.equal(await opened(text), null, `case ${i}`);
  // The vars file swapped for a link to the same bytes, or given to another owner: cm refuses it.
  Deno.renameSync(vars, `${dir.path}/real.yaml`);
  Deno.symlinkSync(`${dir.path}/real.yaml`, vars);
  assert.equal(await opened(now), null, "a link");
  Deno.removeSync(vars);
  Deno.renameSync(`${dir.path}/real.yaml`, vars);
  assert.ok(await opened(now), "the same file back");
  if (Deno.uid() === 0) {
    Deno.chownSync(vars, 65534, null);
    assert.equal(await opened(now), null, "another owner");
  }
});

Deno.test("the catalog is not used when a source or template link now points at another file", async () => {
  await using dir = await tempDir();
  Deno.mkdirSync(`${dir.path}/.git`);
  for (const name of ["a", "b"]) Deno.writeTextFileSync(`${dir.path}/${name}.txt`, name);
  Deno.symlinkSync("a.txt", `${dir.path}/current.txt`);
  Deno.symlinkSync("a.txt", `${dir.path}/current.tmpl`);
  const book = `${dir.path}/book.yaml`;
  Deno.writeTextFileSync(
    book,
    `configure:\n  files:\n    - path: /x/one\n      source: current.txt\n    - path: /x/two\n      template: current.tmpl\n`,
  );
  const catalog = `${dir.path}/catalog.json`;
  await writeCatalog(exec, catalog, await loadCookbooks([book], exec), {});
  assert.notEqual(await thawedAt(catalog, [book]), null);
  for (const link of ["current.txt", "current.tmpl"]) {
    Deno.removeSync(`${dir.path}/${link}`);
    Deno.symlinkSync("b.txt", `${dir.path}/${link}`);
    assert.equal(await thawedAt(catalog, [book]), null, link);
    Deno.removeSync(`${dir.path}/${link}`);
    Deno.symlinkSync("a.txt", `${dir.path}/${link}`);
  }
});
