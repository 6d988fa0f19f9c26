/**
 * `cm watch` as a process under the shipped permission flags, on real files:
 * a change made by hand is repaired within seconds, recorded as drift, and
 * the detection-to-repair time is measured and printed.
 */
import assert from "node:assert/strict";
import { runCm, tempDir, TEST_ENV } from "./harness.ts";
import { cmCommand } from "../scripts/cm_command.ts";

/** Reads a child's stderr into `sink.text` as it comes. */
async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) sink.text += chunk;
}

async function until(
  what: string,
  ms: number,
  ok: () => Promise<boolean> | boolean,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (await ok()) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

Deno.test("cm watch repairs a hand-made change within seconds and records it as drift", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/root/app.conf`;
  await Deno.mkdir(`${dir.path}/root`);
  const book = `${dir.path}/book.yaml`;
  const state = `${dir.path}/state`;
  await Deno.writeTextFile(
    book,
    `name: watch-test\nconfigure:\n  files:\n    - path: ${file}\n      content: "port = 8080\\n"\n      mode: "0640"\n`,
  );
  assert.equal((await runCm(["apply", "--state-dir", state, book])).code, 0);

  const [bin, ...args] = cmCommand(["watch", "--state-dir", state]);
  const child = new Deno.Command(bin, { args, stdout: "piped", stderr: "piped", env: TEST_ENV })
    .spawn();
  const err = { text: "" };
  // Both streams: watch notes go to stderr, the repairs' report lines (drift) to stdout.
  const reading = Promise.all([collect(child.stderr, err), collect(child.stdout, err)]);
  try {
    await until(
      "cm watch to start",
      30_000,
      () => err.text.includes("watch: watching 1 managed path"),
    );
    const measured: number[] = [];
    for (
      const edit of [() => Deno.writeTextFile(file, "port = 22\n"), () => Deno.chmod(file, 0o666)]
    ) {
      await edit();
      measured.push(
        await until("the repair", 10_000, async () => {
          const text = await Deno.readTextFile(file);
          return text === "port = 8080\n" && ((await Deno.stat(file)).mode! & 0o777) === 0o640;
        }),
      );
    }
    await until(
      "the repairs reported",
      10_000,
      () => (err.text.match(/from detection/g) ?? []).length >= 2,
    );
    const reported = [...err.text.matchAll(/repaired, 0 failed in (\d+) ms from detection/g)].map((
      m,
    ) => Number(m[1]));
    console.log(
      `cm watch: change to repaired file ${
        measured.map((ms) => `${Math.round(ms)} ms`).join(", ")
      }; ` +
        `reported detection-to-repair ${
          reported.map((ms) => `${ms} ms`).join(", ")
        } (debounce 200 ms)`,
    );
    assert.ok(measured.every((ms) => ms < 5_000), "repaired within 5 s");
    assert.match(err.text, /drift: repaired 1 resource\(s\) changed outside cm/);
    // The audit entry is appended after the repair line is printed.
    const auditLines = async () =>
      (await Deno.readTextFile(`${state}/audit.log`)).trim().split("\n");
    await until("the audit entries", 10_000, async () => (await auditLines()).length >= 3);
    const audit = (await auditLines()).map((l) => JSON.parse(l));
    assert.deepEqual(audit.slice(1).map((e) => e.event), ["drift", "drift"]);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reading;
  }
});
