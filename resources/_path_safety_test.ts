import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { chaseDirectory } from "./_path_safety.ts";

const ALICE = 1000;
const BOB = 1001;

function machine(): RecordingExecutor {
  return new RecordingExecutor()
    .put("/etc").put("/srv").put("/srv/www").put("/var").put("/home")
    .put("/var/www", "/srv/www", { kind: "symlink" })
    .put("/home/alice", undefined, { uid: ALICE })
    .put("/tmp", undefined, { mode: 0o1777 });
}

Deno.test("a root-owned link on the path is followed to the real directory", () => {
  const exec = machine().put("/var/site", "www/../www", { kind: "symlink" });
  assert.deepEqual(chaseDirectory("/var/www", exec), { real: "/srv/www" });
  assert.deepEqual(chaseDirectory("/var/site", exec), { real: "/srv/www" });
  assert.deepEqual(chaseDirectory("/tmp/new/dir", exec), { real: "/tmp/new/dir" });
});

Deno.test("a directory of the target's owner is fine; a link of that owner into root's is not", () => {
  const exec = machine().put("/home/alice/.ssh", undefined, { uid: ALICE });
  assert.deepEqual(chaseDirectory("/home/alice/.ssh", exec), { real: "/home/alice/.ssh" });
  exec.put("/home/alice/.ssh", "/etc", { kind: "symlink", uid: ALICE });
  assert.deepEqual(chaseDirectory("/home/alice/.ssh", exec), {
    error:
      'unsafe path transition from "/home/alice/.ssh" (owned by 1000) to "/etc" (owned by root)',
  });
  exec.put("/home/alice/.ssh", "../../etc", { kind: "symlink", uid: ALICE });
  assert.match(
    (chaseDirectory("/home/alice/.ssh", exec) as { error: string }).error,
    /^unsafe path transition from "\/home\/alice\/.ssh" \(owned by 1000\) to "\/home"/,
  );
});

Deno.test("another user's directory under a user's, and a world-writable directory, are refused", () => {
  const exec = machine().put("/home/alice/shared", undefined, { uid: BOB })
    .put("/srv/open", undefined, { mode: 0o777 });
  assert.deepEqual(chaseDirectory("/home/alice/shared", exec), {
    error:
      'unsafe path transition from "/home/alice" (owned by 1000) to "/home/alice/shared" (owned by 1001)',
  });
  assert.deepEqual(chaseDirectory("/srv/open/x", exec), {
    error: '"/srv/open" is writable by anyone (mode 777, no sticky bit)',
  });
});

Deno.test("a dangling link on the path is named; a file on the path is not a directory", () => {
  const exec = machine().put("/srv/gone", "/nowhere/at/all", { kind: "symlink" })
    .put("/etc/motd", "hi");
  assert.deepEqual(chaseDirectory("/srv/gone", exec), {
    error: '"/srv/gone" is a dangling symbolic link (to "/nowhere/at/all")',
  });
  assert.deepEqual(chaseDirectory("/var/www/new", exec), { real: "/srv/www/new" });
  assert.deepEqual(chaseDirectory("/etc/motd/x", exec), {
    error: '"/etc/motd" is a file, not a directory',
  });
  exec.put("/srv/loop", "/srv/loop", { kind: "symlink" });
  assert.deepEqual(chaseDirectory("/srv/loop", exec), {
    error: '"/srv/loop": too many levels of symbolic links',
  });
});
