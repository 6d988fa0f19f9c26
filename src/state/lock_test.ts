import assert from "node:assert/strict";
import { LockTimeoutError, StateError } from "../errors.ts";
import { abandonedHolder, acquireLock, lockHolder, markRun } from "./lock.ts";
import { tempDir } from "../_testing.ts";

Deno.test("a second lock waits for the timeout and names the holder's PID", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/lock`;
  using _held = await acquireLock(path, 0, "cm apply");
  const started = performance.now();
  const told: string[] = [];
  const error = await acquireLock(path, 300, "cm sync", (m) => told.push(m)).catch((e) => e);
  assert.ok(error instanceof LockTimeoutError);
  assert.match(error.message, new RegExp(`PID ${Deno.pid}, cm apply`));
  assert.ok(performance.now() - started >= 290);
  assert.equal(told.length, 1, "told once that it waits");
  assert.match(
    told[0],
    new RegExp(
      `^waiting for the run lock held by PID ${Deno.pid} \\(cm apply, since [0-9:-]+ [0-9:]+ [+-]\\d{4}\\): up to 0.3 s \\(--lock-timeout\\)$`,
    ),
  );
});

Deno.test("lockHolder names the run holding the lock, takes nothing, and says null once it is free", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/lock`;
  assert.equal(lockHolder(path), null, "no lock file");
  const held = await acquireLock(path, 0, "cm sync");
  const holder = lockHolder(path);
  assert.equal(holder?.pid, Deno.pid);
  assert.equal(holder?.command, "cm sync");
  assert.ok(await acquireLock(path, 0, "cm apply").catch((e) => e) instanceof LockTimeoutError);
  held.release();
  assert.equal(lockHolder(path), null);
  using _again = await acquireLock(path, 0, "cm apply");
});

Deno.test("the lock is free again after release", async () => {
  await using dir = await tempDir();
  const first = await acquireLock(`${dir.path}/lock`, 0, "cm apply");
  first.release();
  using _second = await acquireLock(`${dir.path}/lock`, 0, "cm apply");
});

Deno.test("a lock left by a dead process is taken over", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/lock`;
  // A child process takes the lock, writes its PID and is killed while holding it.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `
      const f = Deno.openSync(${JSON.stringify(path)}, { read: true, write: true, create: true });
      f.lockSync(true);
      f.writeSync(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid, command: "cm apply", since: "x" })));
      console.log("locked");
      setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  const error = await acquireLock(path, 0, "cm apply").catch((e) => e);
  assert.ok(error instanceof LockTimeoutError, "the live holder blocks");
  assert.equal(lockHolder(path)?.command, "cm apply");
  child.kill("SIGKILL");
  await child.status;
  assert.equal(lockHolder(path), null, "the kernel freed a dead holder's lock");
  reader.releaseLock();
  await child.stdout.cancel();
  using _lock = await acquireLock(path, 2000, "cm apply");
  assert.match(Deno.readTextFileSync(path), new RegExp(`"pid":${Deno.pid}`));
});

Deno.test("a lock that is a symbolic link is refused and its target left untouched", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/victim`, "precious\n");
  await Deno.symlink(`${dir.path}/victim`, `${dir.path}/lock`);
  await Deno.symlink(`${dir.path}/nowhere`, `${dir.path}/lock2`);
  for (const lock of ["lock", "lock2"]) {
    const error = await acquireLock(`${dir.path}/${lock}`, 0, "cm apply").catch((e) => e);
    assert.ok(error instanceof StateError);
    assert.equal(
      error.message,
      `refusing run lock "${dir.path}/${lock}": it is a symbolic link (remove it)`,
    );
  }
  assert.equal(await Deno.readTextFile(`${dir.path}/victim`), "precious\n");
  await assert.rejects(Deno.lstat(`${dir.path}/nowhere`), Deno.errors.NotFound);
});

Deno.test("a lock path that is a directory, or a state directory that is a file, is a state error", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/lock`);
  const error = await acquireLock(`${dir.path}/lock`, 0, "cm apply").catch((e) => e);
  assert.ok(error instanceof StateError);
  assert.equal(error.message, `cannot open run lock "${dir.path}/lock": is a directory`);
  await Deno.writeTextFile(`${dir.path}/file`, "");
  const notDir = await acquireLock(`${dir.path}/file/lock`, 0, "cm apply").catch((e) => e);
  assert.ok(notDir instanceof StateError);
  assert.equal(
    notDir.message,
    `state directory "${dir.path}/file" is not a directory (--state-dir)`,
  );
});

Deno.test("a holder that died holding the lock is handed to the next one; markRun names its run", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/lock`;
  const first = await acquireLock(path, 0, "cm apply");
  assert.equal(first.abandoned, undefined);
  markRun(path, "20261201T040000Z-42");
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)).run, "20261201T040000Z-42");
  first.release();
  assert.equal(Deno.readTextFileSync(path), "", "a release empties the file");
  const clean = await acquireLock(path, 0, "cm sync");
  assert.equal(clean.abandoned, undefined);
  clean.release();
  // What a SIGKILL leaves: the holder's line, the flock gone with the process.
  const dead = { pid: 42, command: "cm apply", since: "2026-12-01T04:00:00.000Z", run: "R-42" };
  Deno.writeTextFileSync(path, JSON.stringify(dead) + "\n");
  using next = await acquireLock(path, 0, "cm apply");
  assert.deepEqual(next.abandoned, dead);
  assert.equal(JSON.parse(Deno.readTextFileSync(path)).pid, Deno.pid);
  markRun(`${dir.path}/other-lock`, "R-1"); // not held here: nothing written
  assert.throws(() => Deno.lstatSync(`${dir.path}/other-lock`), Deno.errors.NotFound);
});

Deno.test("abandonedHolder names the run a dead holder left while it changed the machine, taking nothing", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/lock`;
  assert.equal(abandonedHolder(path), null, "no lock file");
  const dead = { pid: 42, command: "cm sync", since: "2026-12-01T04:00:00.000Z", run: "R-42" };
  Deno.writeTextFileSync(path, JSON.stringify(dead) + "\n");
  assert.deepEqual(abandonedHolder(path), dead);
  assert.deepEqual(abandonedHolder(path), dead, "read, not taken: the next run records it");
  const { run: _, ...notBegun } = dead;
  Deno.writeTextFileSync(path, JSON.stringify(notBegun) + "\n");
  assert.equal(abandonedHolder(path), null, "killed before it changed anything");
  Deno.writeTextFileSync(path, JSON.stringify(dead) + "\n");
  using held = await acquireLock(path, 0, "cm apply");
  assert.deepEqual(held.abandoned, dead);
  markRun(path, "R-43");
  assert.equal(abandonedHolder(path), null, "a live holder is running, not killed");
});
