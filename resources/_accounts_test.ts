import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { parseGroup, parsePasswd, readGroup, readPasswd } from "./_accounts.ts";

Deno.test("passwd and group parsing skip comments, NIS and malformed lines", () => {
  const text = "# c\n+::::::\nbad:x:one:0::/:/bin/sh\nshort:x:1\nok:x:7:8:Ok,,,:/home/ok:/bin/sh\n";
  assert.deepEqual(parsePasswd(text), [
    { name: "ok", uid: 7, gid: 8, gecos: "Ok,,,", home: "/home/ok", shell: "/bin/sh" },
  ]);
  assert.deepEqual(parseGroup("web:x:33:alice,bob\nempty:x:34:\nbad:x:\n"), [
    { name: "web", gid: 33, members: ["alice", "bob"] },
    { name: "empty", gid: 34, members: [] },
  ]);
});

Deno.test("readPasswd and readGroup read /etc through the probe; missing files are empty", () => {
  const probe = new RecordingExecutor().put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
  assert.equal(readPasswd(probe)[0].home, "/root");
  assert.deepEqual(readGroup(probe), []);
});
