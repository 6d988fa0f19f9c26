import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
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

Deno.test("selection tries nodes/<fqdn>.yaml, then nodes/<short>.yaml, then default.yaml", () => {
  const exec = new RecordingExecutor().put("/r/nodes/web1.yaml", "").put("/r/default.yaml", "");
  const names = ["web1.example.com", "web1"];
  assert.deepEqual(resolveCookbooks(exec, "/r", undefined, names), {
    files: ["/r/nodes/web1.yaml"],
    relative: ["nodes/web1.yaml"],
  });
  exec.put("/r/nodes/web1.example.com.yaml", "");
  assert.deepEqual(
    resolveCookbooks(exec, "/r", undefined, names),
    { files: ["/r/nodes/web1.example.com.yaml"], relative: ["nodes/web1.example.com.yaml"] },
  );
  // An explicit list is confined to the real work tree (a committed link may not leave it).
  const tree = Deno.realPathSync(Deno.makeTempDirSync());
  Deno.writeTextFileSync(`${tree}/x.yaml`, "");
  assert.deepEqual(resolveCookbooks(exec, tree, ["x.yaml"], names), {
    files: [`${tree}/x.yaml`],
    relative: ["x.yaml"],
  });
  Deno.removeSync(tree, { recursive: true });
  assert.deepEqual(resolveCookbooks(new RecordingExecutor(), "/r", undefined, ["db"]), {
    error:
      "none of nodes/db.yaml, default.yaml exists in the repository, and no cookbook was named (--cookbook, or cookbooks: in the node configuration)",
  });
});

Deno.test("a selection change is named with before and after; explicit lists and first syncs are not", () => {
  assert.equal(
    selectionChange(["nodes/web1.yaml"], ["default.yaml"], false, ["web1"]),
    "cookbook selection changed: was nodes/web1.yaml, now default.yaml (looked for nodes/{web1}.yaml, then default.yaml)",
  );
  assert.equal(selectionChange(["default.yaml"], ["default.yaml"], false, ["web1"]), undefined);
  assert.equal(selectionChange(undefined, ["default.yaml"], false, ["web1"]), undefined);
  assert.equal(selectionChange(["a.yaml"], ["b.yaml"], true, ["web1"]), undefined);
});
