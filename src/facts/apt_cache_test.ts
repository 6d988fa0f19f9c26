import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import {
  findPolicy,
  hasPackageLists,
  PACKAGE_FILES_ARGV,
  parsePolicy,
  parseReverseProvides,
  queryPolicy,
} from "./apt_cache.ts";
import { fixtures } from "./_fixtures.ts";

Deno.test("parsePolicy reads captured apt-cache policy output; unknown names are left out", () => {
  for (const f of fixtures("apt_cache_policy")) {
    assert.deepEqual(Object.fromEntries(parsePolicy(f.text)), f.expected, f.name);
  }
});

Deno.test("parseReverseProvides reads captured apt-cache showpkg output", () => {
  for (const f of fixtures("apt_cache_showpkg")) {
    assert.deepEqual(Object.fromEntries(parseReverseProvides(f.text)), f.expected, f.name);
  }
});

Deno.test("findPolicy finds an architecture-qualified name under its bare name", () => {
  const policies = parsePolicy("nginx:\n  Candidate: 1.22.1-9\n");
  assert.equal(findPolicy(policies, "nginx:amd64")?.candidate, "1.22.1-9");
});

Deno.test("queryPolicy throws the tool's exit and output tail", async () => {
  const probe = new RecordingExecutor().on(["apt-cache"], {
    code: 100,
    stderr: "E: Could not open lock file\n",
  });
  await assert.rejects(queryPolicy(probe, ["bash"]), {
    message: "apt-cache policy exited 100: E: Could not open lock file",
  });
});

Deno.test("hasPackageLists: a Packages file besides dpkg's status, else none; throws when apt-cache fails", async () => {
  const status = "Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n";
  const lists = status +
    " 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n" +
    "     release v=12.12,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64\n" +
    "Pinned packages:\n";
  const probe = new RecordingExecutor().on(PACKAGE_FILES_ARGV, { stdout: lists });
  assert.equal(await hasPackageLists(probe), true);
  probe.on(PACKAGE_FILES_ARGV, { stdout: `${status}Pinned packages:\n` });
  assert.equal(await hasPackageLists(probe), false);
  probe.on(PACKAGE_FILES_ARGV, { code: 100, stderr: "E: Could not open lock file\n" });
  await assert.rejects(hasPackageLists(probe), {
    message: "apt-cache policy exited 100: E: Could not open lock file",
  });
});
