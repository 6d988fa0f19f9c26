import assert from "node:assert/strict";
import { tempDir } from "../_testing.ts";

/** Whether process `pid` runs (a zombie does not). */
function running(pid: string): boolean {
  const stat = (() => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      return "";
    }
  })();
  return stat !== "" && stat[stat.lastIndexOf(")") + 2] !== "Z";
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a second Ctrl-C ends cm and the command at work in its own group, not cm alone", async () => {
  await using dir = await tempDir();
  // A stand-in for cm applying: its own process group (setsid), signals watched, one command at work.
  const script = `${dir.path}/runner.ts`;
  const module = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
  Deno.writeTextFileSync(
    script,
    `import { RealExecutor } from ${module("../exec/real.ts")};
import { watchSignals } from ${module("./signals.ts")};
using _signals = watchSignals(() => {});
await new RealExecutor().run(["sh", "-c", 'echo $$ > "$1"; sleep 30', "sh", Deno.args[0]], { ownGroup: true });`,
  );
  const started = `${dir.path}/started`;
  const runner = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", script, started],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let command = "";
  while (!(command = (await Deno.readTextFile(started).catch(() => "")).trim())) {
    await pause(20);
  }
  const interrupt = () =>
    new Deno.Command("kill", { args: ["-INT", "--", `-${runner.pid}`] }).output();
  await interrupt();
  await pause(200);
  assert.ok(running(command), "the first Ctrl-C lets the command finish");
  await interrupt();
  assert.equal((await runner.status).signal, "SIGINT", "the second ends cm at once");
  for (let i = 0; i < 50 && running(command); i++) await pause(20);
  assert.ok(!running(command), "and the command at work with it");
});
