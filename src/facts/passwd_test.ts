import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { parseGroup, parsePasswd, readGroup, readPasswd } from "./passwd.ts";
import { fixtures } from "./_fixtures.ts";

Deno.test("parsePasswd reads captured passwd files", () => {
  for (const f of fixtures("passwd")) assert.deepEqual(parsePasswd(f.text), f.expected, f.name);
});

Deno.test("parseGroup reads captured group files, members included", () => {
  for (const f of fixtures("group")) assert.deepEqual(parseGroup(f.text), f.expected, f.name);
});

Deno.test("malformed, comment and NIS lines are skipped", () => {
  const text =
    "# comment\n+::::::\nbad:x:one:0::/:/bin/sh\nshort:x:1\nok:x:7:8::/home/ok:/bin/sh\n";
  assert.deepEqual(parsePasswd(text), [
    { name: "ok", uid: 7, gid: 8, gecos: "", home: "/home/ok", shell: "/bin/sh" },
  ]);
  assert.deepEqual(parseGroup("web:x:33:alice,bob\nbad:x:\n"), [
    { name: "web", gid: 33, members: ["alice", "bob"] },
  ]);
});

Deno.test("readPasswd and readGroup read /etc through the probe; missing files are empty", () => {
  const probe = new RecordingExecutor()
    .put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
    .put("/etc/group", "root:x:0:\n");
  assert.equal(readPasswd(probe)[0].home, "/root");
  assert.deepEqual(readGroup(probe), [{ name: "root", gid: 0, members: [] }]);
  assert.deepEqual(readPasswd(new RecordingExecutor()), []);
});
