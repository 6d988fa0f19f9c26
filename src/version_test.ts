import assert from "node:assert/strict";
import { VERSION, versionLine } from "./version.ts";

Deno.test("versionLine names the build from the executable and the main module", () => {
  const deno = Deno.version.deno;
  assert.equal(
    versionLine("/usr/bin/deno", "file:///src/cm/main.ts"),
    `${VERSION} (from source, deno ${deno})`,
  );
  assert.equal(
    versionLine("/var/lib/config-manager/runtime/ab12/deno", "file:///var/lib/x/ab12/cm/main.js"),
    `${VERSION} (self-extracting executable, deno ${deno})`,
  );
  assert.equal(
    versionLine("/usr/local/bin/cm", "file:///tmp/deno-compile-cm/main.ts"),
    `${VERSION} (deno compile binary, deno ${deno})`,
  );
});
