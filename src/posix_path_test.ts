import assert from "node:assert/strict";
import * as node from "node:path";
import { basename, dirname, normalize } from "./posix_path.ts";

const CASES = [
  "",
  "/",
  "//",
  "///",
  "a",
  "a/",
  "a//",
  "/a",
  "/a/",
  "//a",
  "//a/",
  "///a",
  "/a/b",
  "/a/b/",
  "/a//b",
  "/a//b//",
  "a/b",
  "a/b/c",
  "./a",
  "../a/b",
  ".",
  "..",
  "/etc/nginx/nginx.conf",
  "/etc/nginx/sites-enabled/",
  "/srv/my file/x y",
  "/a/./b/../c",
  "/ä/ö✓",
];

/** Every string of up to five characters from "/", "a" and ".": all the shapes of slashes. */
function allShapes(): string[] {
  const out = [""];
  for (let length = 1, layer = [""]; length <= 5; length++) {
    layer = layer.flatMap((s) => ["/", "a", "."].map((c) => s + c));
    out.push(...layer);
  }
  return out;
}

Deno.test("dirname and basename equal node:path's posix versions on every path shape", () => {
  for (const path of [...CASES, ...allShapes()]) {
    assert.equal(dirname(path), node.posix.dirname(path), `dirname(${JSON.stringify(path)})`);
    assert.equal(basename(path), node.posix.basename(path), `basename(${JSON.stringify(path)})`);
  }
});

Deno.test("dirname walks up to the root and stays there", () => {
  const seen = [];
  for (let dir = "/etc/nginx/conf.d/x.conf"; dir !== "/"; dir = dirname(dir)) seen.push(dir);
  assert.deepEqual(seen, ["/etc/nginx/conf.d/x.conf", "/etc/nginx/conf.d", "/etc/nginx", "/etc"]);
  assert.equal(dirname("/"), "/");
});

Deno.test("normalize resolves ., .. and doubled slashes as written, never above /", () => {
  assert.equal(normalize("/proc/self/../../tmp/./x//y"), "/tmp/x/y");
  assert.equal(normalize("/../.."), "/");
  assert.equal(normalize("/etc/"), "/etc");
});
