import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { findPolicy, parsePolicy, parseReverseProvides, queryPolicy } from "./apt_cache.ts";
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
