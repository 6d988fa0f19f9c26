import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { plannedPaths } from "./planned.ts";

function machine(): RecordingExecutor {
  return new RecordingExecutor().put("/srv").put("/srv/open", undefined, { mode: 0o777 })
    .put("/home").put("/home/alice", undefined, { uid: 1000 });
}

Deno.test("a directory a plan narrows to 0755 is read so; the machine keeps 0777", () => {
  const exec = machine();
  const planned = plannedPaths(exec);
  planned.note({ path: "/srv/open", mode: 0o755 });
  assert.equal(planned.probe.stat("/srv/open")?.mode, 0o755);
  planned.note({ path: "/srv/open", owner: "www-data" });
  assert.deepEqual([planned.probe.stat("/srv/open")?.mode, planned.probe.stat("/srv/open")?.uid], [
    0o755,
    33,
  ]);
  assert.equal(exec.stat("/srv/open")?.mode, 0o777);
  assert.deepEqual(exec.writes, []);
});

Deno.test("an owner or group that does not exist yet gets an id of its own, named as the cookbook names it", () => {
  const planned = plannedPaths(machine().put("/srv/a").put("/srv/b"));
  planned.note({ path: "/srv/a", owner: "carol", group: "carol" });
  planned.note({ path: "/srv/b", owner: "carol" });
  const a = planned.probe.stat("/srv/a")!;
  assert.ok(a.uid < 0 && a.gid < 0 && a.uid !== a.gid);
  assert.equal(planned.probe.stat("/srv/b")?.uid, a.uid);
  assert.equal(planned.probe.userName(a.uid), "carol");
  assert.equal(planned.probe.groupName(a.gid), "carol");
  assert.equal(planned.probe.userName(1000), "1000");
});

Deno.test("a directory that does not exist yet, or a file, is not made up", () => {
  const planned = plannedPaths(machine().put("/srv/file", "x"));
  planned.note({ path: "/srv/new", mode: 0o700 });
  planned.note({ path: "/srv/file", mode: 0o700 });
  assert.equal(planned.probe.stat("/srv/new"), null);
  assert.equal(planned.probe.stat("/srv/file")?.mode, 0o644);
});
