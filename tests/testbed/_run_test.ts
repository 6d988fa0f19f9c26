import assert from "node:assert/strict";
import { allSteps, requireTools, run } from "./_run.ts";

Deno.test("requireTools names the missing command and how to install it", () => {
  assert.throws(
    () => requireTools(["sh", "no-such-tool-cm"]),
    /needs "no-such-tool-cm", not found in .*apt-get install -y debootstrap systemd-container/,
  );
});

Deno.test("run returns the exit code and output, and throws with argv and stderr under check", async () => {
  const r = await run(["sh", "-c", "cat; echo oops >&2; exit 3"], { stdin: "in" });
  assert.deepEqual(r, { code: 3, stdout: "in", stderr: "oops\n" });
  await assert.rejects(
    run(["sh", "-c", "echo oops >&2; exit 3"], { check: true }),
    /exited 3: oops/,
  );
});

Deno.test("allSteps runs every step even after one fails, and reports all failures", async () => {
  const ran: string[] = [];
  await assert.rejects(
    allSteps("Teardown", [
      ["a", () => {
        ran.push("a");
        throw new Error("boom");
      }],
      ["b", () => ran.push("b")],
      ["c", () => Promise.reject(new Error("bang"))],
    ]),
    /Teardown failed: a: boom; c: bang/,
  );
  assert.deepEqual(ran, ["a", "b"]);
});
