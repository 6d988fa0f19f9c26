import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { parseOsRelease, readOsRelease } from "./os.ts";
import { fixtures } from "./_fixtures.ts";

Deno.test("parseOsRelease reads captured os-release files, quotes removed", () => {
  for (const f of fixtures("os_release")) {
    assert.deepEqual(parseOsRelease(f.text), f.expected, f.name);
  }
});

Deno.test("readOsRelease falls back to /usr/lib/os-release and is empty without either", () => {
  const probe = new RecordingExecutor().put(
    "/usr/lib/os-release",
    'ID=ubuntu\nVERSION_ID="24.04"\n',
  );
  assert.deepEqual(readOsRelease(probe), { ID: "ubuntu", VERSION_ID: "24.04" });
  assert.deepEqual(readOsRelease(new RecordingExecutor()), {});
});
