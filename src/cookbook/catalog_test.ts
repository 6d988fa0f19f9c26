import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import type { Cookbook } from "./cookbook.ts";
import { freeze, inputKey, type InputsKey, keyingReads, thaw } from "./catalog.ts";

const cookbook = (spec: Record<string, unknown>): Cookbook => ({
  name: "web",
  files: ["/cb/web.yaml"],
  resources: [{
    kind: "file",
    id: "file[/etc/motd]",
    spec: { path: "/etc/motd", ...spec },
    at: { file: "/cb/web.yaml", line: 3, col: 7 },
    path: "configure.files[0]",
    section: 4,
  }],
  health: [],
  inputs: { requested: ["/cb/web.yaml"], files: ["/cb/web.yaml"], facts: {} },
});

/** The catalog's JSON as written through the executor and read back. */
async function frozen(
  probe: RecordingExecutor,
  cookbook: Cookbook,
  digests: Record<string, string> = {},
  loaded?: InputsKey,
): Promise<string> {
  probe.writeFile("/state/catalog.json", (await freeze(probe, cookbook, digests, loaded))!, {
    mode: 0o600,
  });
  return probe.readText("/state/catalog.json")!;
}

Deno.test("freeze and thaw give back the cookbook until an input file changes", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  const digests = { "file[/etc/motd]": "ab12" };
  const data = await frozen(probe, cookbook({ content: "hi" }), digests);
  assert.deepEqual(await thaw(probe, data, ["/cb/web.yaml"]), {
    thawed: { cookbook: cookbook({ content: "hi" }), digests },
    health: [],
  });
  assert.deepEqual(await thaw(probe, data, ["/cb/other.yaml"]), { thawed: null }, "other paths");
  probe.put("/cb/web.yaml", "configure: {} \n");
  assert.deepEqual(
    await thaw(probe, data, ["/cb/web.yaml"]),
    { thawed: null, health: [] },
    "changed",
  );
});

Deno.test("sensitive resources and checks are cached sealed, opened only by the same inputs", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  const secretCheck = { command: ["check", "--token", "s3cret"], sensitive: true };
  const books = [
    cookbook({ content: "s3cret", sensitive: true }),
    { ...cookbook({}), health: [secretCheck] },
  ];
  for (const book of books) {
    const data = await frozen(probe, book);
    assert.equal(data.includes("s3cret"), false);
    assert.deepEqual(Object.keys(JSON.parse(data)), ["format", "inputs", "sealed"]);
    assert.deepEqual((await thaw(probe, data, ["/cb/web.yaml"])).thawed?.cookbook, book);
    probe.put("/cb/web.yaml", "configure: {} \n");
    assert.deepEqual(await thaw(probe, data, ["/cb/web.yaml"]), { thawed: null }, "changed");
    probe.put("/cb/web.yaml", "configure: {}\n");
  }
});

Deno.test("unreadable inputs, unknown kinds and older formats are not cached", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  assert.equal(await freeze(new RecordingExecutor(), cookbook({}), {}), null);
  const data = await frozen(probe, cookbook({}));
  const renamed = data.replace('"kind":"file"', '"kind":"gone"');
  assert.equal((await thaw(probe, renamed, ["/cb/web.yaml"])).thawed, null);
  const older = data.replace(/"format":\d+,/, "");
  assert.deepEqual(await thaw(probe, older, ["/cb/web.yaml"]), { thawed: null }, "an older cm's");
  assert.match(data, /"at":\{"file":0,/, "a resource's file by its index in inputs.files");
  const damaged = data.replace(/"at":\{"file":0,/, '"at":{"file":7,');
  assert.equal(
    (await thaw(probe, damaged, ["/cb/web.yaml"])).thawed,
    null,
    "an index naming nothing",
  );
  assert.deepEqual(await thaw(probe, "{", ["/cb/web.yaml"]), { thawed: null });
});

Deno.test("a damaged catalog of valid JSON is stale, not a crash: null parts, out-of-range indexes", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  const data = await frozen(probe, {
    ...cookbook({}),
    resources: [{ ...cookbook({}).resources[0], root: "/cb/web.yaml" }],
  });
  assert.notEqual(
    (await thaw(probe, data, ["/cb/web.yaml"])).thawed,
    null,
    "the undamaged catalog is used",
  );
  // deno-lint-ignore no-explicit-any
  const damages: ((c: any) => void)[] = [
    (c) => c.resources[0].at = null,
    (c) => c.resources[0] = null,
    (c) => c.resources[0].spec = null,
    (c) => c.resources = {},
    (c) => delete c.inputs.files,
    (c) => c.inputs.facts = null,
    (c) => c.health = null,
    (c) => c.digests = null,
    (c) => c.resources[0].root = 1,
    (c) => c.resources[0].root = -1,
    (c) => c.resources[0].at.file = 0.5,
  ];
  for (const damage of damages) {
    const catalog = JSON.parse(data);
    damage(catalog);
    assert.deepEqual(
      await thaw(probe, JSON.stringify(catalog), ["/cb/web.yaml"]),
      { thawed: null },
      `${damage}`,
    );
  }
});

Deno.test("cookbooks are cached under the bytes they were loaded from, stale while an input differs", async () => {
  for (const book of [cookbook({}), cookbook({ sensitive: true })]) {
    const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
    const reads = keyingReads(probe);
    reads.probe.readFile("/cb/web.yaml");
    const loaded = (await reads.key(book.inputs))!;
    probe.put("/cb/web.yaml", "configure: {files: []}\n"); // edited during the run, or by it
    const data = await frozen(probe, book, {}, loaded);
    assert.equal((await thaw(probe, data, ["/cb/web.yaml"])).thawed, null, "edited: stale");
    probe.put("/cb/web.yaml", "configure: {}\n");
    assert.deepEqual((await thaw(probe, data, ["/cb/web.yaml"])).thawed?.cookbook, book);
  }
});

Deno.test("cookbooks an input of which was not read while loading are not cached", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  assert.equal(await keyingReads(probe).key(cookbook({}).inputs), null);
  assert.equal(await freeze(probe, cookbook({}), {}, null), null);
});

Deno.test("another build of cm, even of the same version, does not use the catalog of this one", async () => {
  const probe = new RecordingExecutor().put("/cb/web.yaml", "configure: {}\n");
  const inputs = cookbook({}).inputs;
  const build = (sha: string) => `0.1.0 (self-extracting executable, deno 2.9.6, build ${sha})`;
  assert.notEqual(
    await inputKey(probe, inputs, build("8fc13e0260e4")),
    await inputKey(probe, inputs, build("0d393b1f00aa")),
  );
  assert.equal(
    await inputKey(probe, inputs, build("8fc13e0260e4")),
    await inputKey(probe, inputs, build("8fc13e0260e4")),
  );
});
