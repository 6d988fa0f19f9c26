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
  // The unpacked runtime's directory is the payload's sha256: two builds of one version differ there.
  const sha = "8fc13e0260e4815b8c42cf1f0884ad5ce5e732fe0415e9ada8e64688dc9bca21";
  assert.equal(
    versionLine(
      `/var/lib/config-manager/runtime/${sha}/deno`,
      `file:///var/lib/config-manager/runtime/${sha}/cm/main.js`,
    ),
    `${VERSION} (self-extracting executable, deno ${deno}, build 8fc13e0260e4)`,
  );
  assert.equal(
    versionLine("/usr/local/bin/cm", "file:///tmp/deno-compile-cm/main.ts"),
    `${VERSION} (deno compile binary, deno ${deno})`,
  );
});
