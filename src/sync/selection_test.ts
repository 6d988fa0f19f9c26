import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { hostNames, resolveCookbooks, selectionChange } from "./selection.ts";

Deno.test("host names: the FQDN first, then the host name, then their short forms", async () => {
  const exec = new RecordingExecutor().on(["hostname", "--fqdn"], {
    code: 0,
    stdout: "web1.example.com\n",
  });
  const names = await hostNames(exec);
  assert.equal(names[0], "web1.example.com");
  assert.ok(names.includes("web1"));
  assert.ok(names.includes(Deno.hostname().split(".")[0]));
  assert.deepEqual(await hostNames(new RecordingExecutor(), "db2.example.com"), [
    "db2.example.com",
    "db2",
  ]);
});

Deno.test("selection tries nodes/<fqdn>.yaml, then nodes/<short>.yaml, then default.yaml", async () => {
  await using tmp = await tempDir("cm-selection-");
  const tree = Deno.realPathSync(tmp.path);
  const exec = new RealExecutor();
  Deno.mkdirSync(`${tree}/nodes`);
  for (const f of ["nodes/web1.yaml", "default.yaml", "x.yaml"]) {
    Deno.writeTextFileSync(`${tree}/${f}`, "");
  }
  const names = ["web1.example.com", "web1"];
  assert.deepEqual(resolveCookbooks(exec, tree, undefined, names), {
    files: [`${tree}/nodes/web1.yaml`],
    relative: ["nodes/web1.yaml"],
  });
  Deno.writeTextFileSync(`${tree}/nodes/web1.example.com.yaml`, "");
  assert.deepEqual(
    resolveCookbooks(exec, tree, undefined, names),
    { files: [`${tree}/nodes/web1.example.com.yaml`], relative: ["nodes/web1.example.com.yaml"] },
  );
  // An explicit list is confined to the real work tree (a committed link may not leave it).
  assert.deepEqual(resolveCookbooks(exec, tree, ["x.yaml"], names), {
    files: [`${tree}/x.yaml`],
    relative: ["x.yaml"],
  });
  assert.deepEqual(resolveCookbooks(exec, tree, undefined, ["db"]), {
    files: [`${tree}/default.yaml`],
    relative: ["default.yaml"],
  });
  Deno.removeSync(`${tree}/default.yaml`);
  assert.deepEqual(resolveCookbooks(exec, tree, undefined, ["db"]), {
    error:
      "none of nodes/db.yaml, default.yaml exists in the repository, and no cookbook was named (--cookbook, or cookbooks: in the node configuration)",
  });
});

Deno.test("a node's file that is a committed link is followed inside the repository, refused outside it", async () => {
  await using tmp = await tempDir("cm-selection-");
  const tree = Deno.realPathSync(tmp.path);
  const exec = new RealExecutor();
  Deno.mkdirSync(`${tree}/nodes`);
  Deno.writeTextFileSync(`${tree}/nodes/web1.yaml`, "");
  Deno.writeTextFileSync(`${tree}/default.yaml`, "");
  Deno.symlinkSync("web1.yaml", `${tree}/nodes/web2.yaml`);
  // Not default.yaml: web2 is meant to be a web server like web1.
  assert.deepEqual(resolveCookbooks(exec, tree, undefined, ["web2"]), {
    files: [`${tree}/nodes/web1.yaml`],
    relative: ["nodes/web2.yaml"],
  });
  Deno.symlinkSync("/etc/passwd", `${tree}/nodes/web3.yaml`);
  const outside = resolveCookbooks(exec, tree, undefined, ["web3"]);
  assert.ok(
    "error" in outside &&
      /inside the cookbook repository .*a link to \/etc\/passwd/.test(outside.error),
  );
});

Deno.test("a selection change is named with before and after; explicit lists and first syncs are not", () => {
  assert.equal(
    selectionChange(["nodes/web1.yaml"], ["default.yaml"], false, ["web1"]),
    "cookbook selection changed: was nodes/web1.yaml, now default.yaml (looked for nodes/web1.yaml, default.yaml, in this order)",
  );
  assert.equal(
    selectionChange(["nodes/web1.yaml"], ["default.yaml"], false, ["web1.example.com", "web1"]),
    "cookbook selection changed: was nodes/web1.yaml, now default.yaml (looked for " +
      "nodes/web1.example.com.yaml, nodes/web1.yaml, default.yaml, in this order)",
  );
  assert.equal(selectionChange(["default.yaml"], ["default.yaml"], false, ["web1"]), undefined);
  assert.equal(selectionChange(undefined, ["default.yaml"], false, ["web1"]), undefined);
  assert.equal(selectionChange(["a.yaml"], ["b.yaml"], true, ["web1"]), undefined);
});
