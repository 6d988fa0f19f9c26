import assert from "node:assert/strict";
import { LockTimeoutError } from "../errors.ts";
import { acquireLock } from "./lock.ts";
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
      `^waiting for the run lock held by PID ${Deno.pid} \\(cm apply, since [0-9T:.Z-]+\\): up to 0.3 s \\(--lock-timeout\\)$`,
    ),
  );
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
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  using _lock = await acquireLock(path, 2000, "cm apply");
  assert.match(Deno.readTextFileSync(path), new RegExp(`"pid":${Deno.pid}`));
});
