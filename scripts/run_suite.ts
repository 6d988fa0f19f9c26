/**
 * The whole test suite, as `deno task test` and CI run it: formatting, lint,
 * type check, then every test. Ends with the plain line `N passed, N failed`.
 * (Not named test.ts: `deno test` would pick that up as a test module.)
 *
 * @module
 */

async function step(name: string, args: string[], tee?: (text: string) => void): Promise<boolean> {
  console.log(`\n== ${name}: deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" })
    .spawn();
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    Deno.stdout.writeSync(chunk);
    tee?.(text);
  }
  const { success } = await child.status;
  if (!success) console.log(`== ${name} FAILED`);
  return success;
}

let output = "";
const results = [
  await step("format", ["fmt", "--check"]),
  await step("lint", ["lint"]),
  await step("type check", ["check", "."]),
  await step("layers", ["run", "-A", "scripts/check_layers.ts"]),
  await step("public docs", ["doc", "--lint", "mod.ts"]),
  await step("tests", ["test", "-A", "--doc", ...Deno.args], (text) => output += text),
];
const checks = results.length - 1;
// deno test's summary: "ok | 45 passed (3 steps) | 0 failed (12s)"
const plain = output.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");
const match = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
const passed = Number(match?.[1] ?? 0);
let failed = Number(match?.[2] ?? 0);
const checksFailed = results.slice(0, checks).filter((ok) => !ok).length;
if (!match) console.log("== no deno test summary found: counting the suite as failed");
if (checksFailed) {
  console.log(`== ${checksFailed} check step(s) failed (format, lint, type check, layers, docs)`);
}
if (!results[checks] && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed + checksFailed} failed`);
Deno.exit(results.every(Boolean) && match ? 0 : 1);
