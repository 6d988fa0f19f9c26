/**
 * The example repository cookbooks/php-app passes the CI recipe of the README
 * for every node it has saved facts for: `cm validate --facts facts/<node>.json
 * --vars-file VARS nodes/<node>.yaml`, VARS standing for the node's root-only
 * vars file with the database password. (tests/e2e_php_app_test.ts converges
 * it on real servers.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCm, tempDir } from "./harness.ts";

const EXAMPLE = new URL("../cookbooks/php-app", import.meta.url).pathname;

Deno.test("every node of the php-app example validates with its saved facts", async () => {
  const nodes = (await Array.fromAsync(Deno.readDir(`${EXAMPLE}/facts`)))
    .map((e) => e.name.replace(/\.json$/, "")).sort();
  assert.deepEqual(nodes, ["db1", "web1"]);
  await using tmp = await tempDir("cm-php-app-vars-");
  const vars = `${tmp.path}/vars.yaml`;
  await Deno.writeTextFile(vars, "vars:\n  db_password: example-only\n", { mode: 0o600 });
  for (const node of nodes) {
    const r = await runCm(
      ["validate", "--facts", `facts/${node}.json`, "--vars-file", vars, `nodes/${node}.yaml`],
      { cwd: EXAMPLE },
    );
    assert.equal(r.code, 0, `${node}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`nodes/${node}\\.yaml: valid, \\d+ resources`));
    const without = await runCm(
      ["validate", "--facts", `facts/${node}.json`, `nodes/${node}.yaml`],
      {
        cwd: EXAMPLE,
      },
    );
    assert.equal(without.code, 2, `${node} validated without db_password`);
    assert.match(without.stderr, /db_password/);
  }
});
