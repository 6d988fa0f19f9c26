import assert from "node:assert/strict";
import { ConfigError, UsageError } from "../errors.ts";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { inputKey } from "../cookbook/catalog.ts";
import { readNodeConfig } from "./node_config.ts";

const exec = new RealExecutor();

/** A node configuration file `text` and a state directory, in `dir`. */
function fixture(dir: string, text: string) {
  const flag = `${dir}/config.yaml`;
  const stateDir = `${dir}/state`;
  Deno.mkdirSync(stateDir);
  Deno.writeTextFileSync(flag, text);
  const cache = `${stateDir}/node_config.json`;
  const cached = () => JSON.parse(Deno.readTextFileSync(cache));
  /** Puts `value` in the cache under the key it holds now (a cached value the file does not say). */
  const plant = (value: unknown) =>
    Deno.writeTextFileSync(cache, JSON.stringify({ ...cached(), value }));
  return { flag, stateDir, cache, cached, plant };
}

Deno.test("a parsed node configuration is cached and read back while its file is unchanged", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache, cached, plant } = fixture(dir.path, "repo: file:///a\n");
  const first = await readNodeConfig(exec, { flag, stateDir, exec });
  assert.deepEqual(first, { config: { repo: "file:///a" }, file: flag, found: true });
  assert.deepEqual(cached().value, { repo: "file:///a" });
  assert.equal(Deno.statSync(cache).mode! & 0o777, 0o600);
  plant({ repo: "file:///from-cache" });
  const hit = await readNodeConfig(exec, { flag, stateDir });
  assert.deepEqual(hit, { config: { repo: "file:///from-cache" }, file: flag, found: true });
});

Deno.test("an edited node configuration misses the cache and is parsed and cached again", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cached, plant } = fixture(dir.path, "repo: file:///a\n");
  await readNodeConfig(exec, { flag, stateDir, exec });
  plant({ repo: "file:///stale" });
  Deno.writeTextFileSync(flag, "repo: file:///b\n");
  assert.deepEqual((await readNodeConfig(exec, { flag, stateDir, exec })).config, {
    repo: "file:///b",
  });
  assert.deepEqual(cached().value, { repo: "file:///b" });
});

Deno.test("another build of cm does not use the node configuration this one cached", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache } = fixture(dir.path, "repo: file:///a\n");
  const inputs = { requested: [flag], files: [flag] };
  const other = await inputKey(
    exec,
    inputs,
    "0.1.0 (self-extracting executable, build 0d393b1f00aa)",
  );
  Deno.writeTextFileSync(cache, JSON.stringify({ key: other, value: { repo: "file:///old" } }));
  assert.deepEqual((await readNodeConfig(exec, { flag, stateDir })).config, { repo: "file:///a" });
});

Deno.test("a damaged node configuration cache is parsed afresh and replaced", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache, cached, plant } = fixture(dir.path, "repo: file:///a\n");
  await readNodeConfig(exec, { flag, stateDir, exec });
  for (const value of [[1], null, "repo", { cookbooks: [1] }, { repo: { url: "x" } }]) {
    plant(value);
    assert.deepEqual((await readNodeConfig(exec, { flag, stateDir })).config, {
      repo: "file:///a",
    }, JSON.stringify(value));
  }
  for (const damage of ['{"key": "ab', "", "[]", "null"]) {
    Deno.writeTextFileSync(cache, damage);
    assert.deepEqual((await readNodeConfig(exec, { flag, stateDir, exec })).config, {
      repo: "file:///a",
    }, damage);
    assert.deepEqual(cached().value, { repo: "file:///a" });
  }
});

Deno.test("a node configuration with problems is never cached: every run reports them again", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache } = fixture(dir.path, "repo: file:///a\n");
  await readNodeConfig(exec, { flag, stateDir, exec });
  const before = Deno.readTextFileSync(cache);
  Deno.writeTextFileSync(flag, "repo: file:///a\nsplay: soon\n");
  const messages = [];
  for (let run = 0; run < 2; run++) {
    const error = await readNodeConfig(exec, { flag, stateDir, exec }).catch((e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    messages.push(error.message);
  }
  assert.match(messages[0], /config\.yaml:2:8: splay: expected seconds/);
  assert.equal(messages[1], messages[0]);
  assert.equal(Deno.readTextFileSync(cache), before);
});

Deno.test("a check reads the node configuration cache but never writes it, nor a missing state directory", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache } = fixture(dir.path, "repo: file:///a\n");
  await readNodeConfig(exec, { flag, stateDir });
  assert.equal(exec.stat(cache), null);
  const missing = `${dir.path}/no-state`;
  await readNodeConfig(exec, { flag, stateDir: missing, exec });
  assert.equal(exec.stat(missing), null);
});

Deno.test("a node configuration that is a device or a directory is refused before it is read", async () => {
  await using dir = await tempDir();
  const stateDir = dir.path;
  await assert.rejects(
    () => readNodeConfig(exec, { flag: "/dev/zero", stateDir }),
    (e: Error) => e instanceof UsageError && /"\/dev\/zero" is not a regular file/.test(e.message),
  );
  await assert.rejects(
    () => readNodeConfig(exec, { flag: dir.path, stateDir }),
    /is a directory, expected a file/,
  );
  await assert.rejects(
    () => readNodeConfig(exec, { flag: "/nonexistent/config.yaml", stateDir }),
    /no such file/,
  );
});

Deno.test("a state directory that cannot take the cache does not stop the read", async () => {
  await using dir = await tempDir();
  const { flag, stateDir } = fixture(dir.path, "repo: file:///a\n");
  Deno.removeSync(stateDir);
  Deno.writeTextFileSync(stateDir, "a file where the state directory goes");
  const read = await readNodeConfig(exec, { flag, stateDir, exec });
  assert.deepEqual(read.config, { repo: "file:///a" });
});

Deno.test("a cache the state directory refuses to replace (immutable: permission denied) does not stop the read", async () => {
  await using dir = await tempDir();
  const { flag, stateDir, cache } = fixture(dir.path, "repo: file:///a\n");
  class Immutable extends RealExecutor {
    override writeFile(...args: Parameters<RealExecutor["writeFile"]>): void {
      if (args[0] === cache) throw new Deno.errors.PermissionDenied("operation not permitted");
      super.writeFile(...args);
    }
  }
  const read = await readNodeConfig(exec, { flag, stateDir, exec: new Immutable() });
  assert.deepEqual(read.config, { repo: "file:///a" });
});
