import assert from "node:assert/strict";
import { leftoverOf, tempTarget, validateTempPath, writeTempPath } from "./temp_names.ts";

Deno.test("both kinds of temporary file name the target they belong to", () => {
  const write = writeTempPath("/etc/nginx/site.conf");
  const check = validateTempPath("/etc/nginx/site.conf");
  assert.match(write, /^\/etc\/nginx\/\.site\.conf\.cm-[0-9a-f]{8}$/);
  assert.match(check, /^\/etc\/nginx\/\.cm-validate-[0-9a-f]{8}-site\.conf$/);
  for (const temp of [write, check]) {
    assert.equal(leftoverOf(temp.slice("/etc/nginx/".length)), "site.conf");
  }
  assert.equal(leftoverOf(".site.conf.cm-x"), null);
  assert.equal(leftoverOf("site.conf"), null);
  assert.equal(tempTarget(`/srv/${"n".repeat(250)}`), "n".repeat(200));
  assert.match(writeTempPath("/motd"), /^\/\.motd\.cm-[0-9a-f]{8}$/);
});
