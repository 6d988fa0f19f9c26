import assert from "node:assert/strict";
import { RecordingExecutor } from "../exec/recording.ts";
import { chaseDirectory } from "../../resources/_path_safety.ts";
import { plannedPaths } from "./planned.ts";

function machine(): RecordingExecutor {
  return new RecordingExecutor().put("/srv").put("/srv/open", undefined, { mode: 0o777 })
    .put("/var").put("/var/www", "/srv", { kind: "symlink" })
    .put("/home").put("/home/alice", undefined, { uid: 1000 });
}

Deno.test("a directory a plan narrows to 0755 is read so; the machine keeps 0777", () => {
  const exec = machine();
  const planned = plannedPaths(exec);
  assert.match((chaseDirectory("/srv/open", planned.probe) as { error: string }).error, /anyone/);
  planned.note({ path: "/srv/open", mode: "0755" });
  assert.deepEqual(chaseDirectory("/srv/open", planned.probe), { real: "/srv/open" });
  assert.equal(exec.stat("/srv/open")?.mode, 0o777);
  assert.deepEqual(exec.writes, []);
});

Deno.test("a planned directory is found through a root-owned link; one without a mode stays refused", () => {
  const planned = plannedPaths(machine());
  planned.note({ path: "/var/www/open", owner: "root" });
  assert.match((chaseDirectory("/srv/open", planned.probe) as { error: string }).error, /anyone/);
  planned.note({ path: "/var/www/open", mode: "1777" });
  assert.deepEqual(chaseDirectory("/srv/open", planned.probe), { real: "/srv/open" });
});

Deno.test("an owner that does not exist yet counts as another user, named as the cookbook names it", () => {
  const exec = machine().put("/home/alice/shared", undefined, { uid: 1000 });
  const planned = plannedPaths(exec);
  planned.note({ path: "/home/alice/shared", owner: "carol" });
  assert.deepEqual(chaseDirectory("/home/alice/shared/x", planned.probe), {
    error:
      'unsafe path transition from "/home/alice" (owned by 1000) to "/home/alice/shared" (owned by carol)',
  });
  planned.note({ path: "/home/alice", owner: "root" });
  assert.deepEqual(chaseDirectory("/home/alice/shared/x", planned.probe), {
    real: "/home/alice/shared/x",
  });
});

Deno.test("a directory that does not exist yet is not made up", () => {
  const planned = plannedPaths(machine());
  planned.note({ path: "/srv/new", mode: "0700" });
  assert.equal(planned.probe.stat("/srv/new"), null);
});
