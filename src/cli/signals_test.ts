import assert from "node:assert/strict";
import { tempDir } from "../_testing.ts";

/**
 * A stand-in for an apply at work: its own process group (setsid, like a
 * shell's foreground job), the signal watch, and one command running in a
 * group of its own. SIGINT goes to the runner's whole group, as a terminal's
 * Ctrl-C does.
 */
Deno.test("a first Ctrl-C lets the command at work go on; a second stops cm and the command", async () => {
  await using dir = await tempDir();
  const script = `${dir.path}/runner.ts`;
  const started = `${dir.path}/started`;
  const marker = `cm-signals-test-${crypto.randomUUID()}`;
  const module = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);
  Deno.writeTextFileSync(
    script,
    `import { RealExecutor } from ${module("../exec/real.ts")};
import { watchSignals } from ${module("./signals.ts")};
using watch = watchSignals((line) => console.log(line));
await new RealExecutor().run(
  ["sh", "-c", 'touch "$1"; sleep 30; : "$2"', "sh", ${JSON.stringify(started)}, "${marker}"],
  { ownGroup: true },
);
console.log("the command ended first");`,
  );
  const runner = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", script],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  while (!(await Deno.stat(started).catch(() => null))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ctrlC = () => new Deno.Command("kill", { args: ["-INT", "--", `-${runner.pid}`] }).output();
  const sleeping = async () =>
    (await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output()).success;
  await ctrlC();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(await sleeping(), "the first Ctrl-C spared the command at work");
  await ctrlC();
  const { code, signal, stdout } = await runner.output();
  assert.deepEqual([code, signal], [130, "SIGINT"]);
  const out = new TextDecoder().decode(stdout);
  assert.match(out, /^cm: SIGINT: stopping after the resource at work \(again to stop at once\)$/m);
  assert.doesNotMatch(out, /the command ended first/);
  for (let i = 0; i < 50 && await sleeping(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(!(await sleeping()), "the second Ctrl-C stopped the command too");
});
