import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { converge } from "./converge.ts";
import { type Repair, watch } from "./watch.ts";
import { statePaths } from "../state/paths.ts";
import { removeDisabled, writeDisabled } from "../state/disabled.ts";

const exec = new RealExecutor();

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) =>
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)
  );
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function fileCookbook(paths: string[]): string {
  const files = paths.map((p) => `    - path: ${p}\n      content: "managed\\n"\n`).join("");
  return `name: t\nconfigure:\n  files:\n${files}`;
}

Deno.test("cm watch follows a path the same cookbook file manages after a new apply (a sync's next commit)", async () => {
  await using tmp = await tempDir("cm-watch-");
  const [first, added] = [`${tmp.path}/a.conf`, `${tmp.path}/b.conf`];
  const book = `${tmp.path}/book.yaml`;
  const stateDir = `${tmp.path}/state`;
  const apply = () => converge([book], exec, { mode: "apply", stateDir, lock: "take" });
  await Deno.writeTextFile(book, fileCookbook([first]));
  await apply();

  const stop = new AbortController();
  const watched: string[][] = [];
  const repairs: Repair[] = [];
  let next!: () => void;
  let watching = new Promise<void>((resolve) => next = resolve);
  const running = watch(exec, { stateDir, debounceMs: 50 }, {
    watching: (paths) => {
      watched.push(paths);
      next();
    },
    repaired: (repair) => {
      repairs.push(repair);
      if (repair.paths.includes(added)) stop.abort();
    },
    signal: stop.signal,
  });
  await watching;
  watching = new Promise<void>((resolve) => next = resolve);
  await Deno.writeTextFile(book, fileCookbook([first, added]));
  await apply();
  try {
    await within(watching, 10_000, "new watch of the added path");
  } catch (error) {
    stop.abort();
    await running;
    throw error;
  }
  assert.deepEqual(watched.at(-1), [first, added]);
  await Deno.writeTextFile(added, "by hand\n");
  await running;
  assert.equal(await Deno.readTextFile(added), "managed\n");
});

Deno.test("while cm is disabled a watch leaves drift alone and says why; cm enable repairs what it left, with no further change", async () => {
  await using tmp = await tempDir("cm-watch-");
  const file = `${tmp.path}/a.conf`;
  const book = `${tmp.path}/book.yaml`;
  const stateDir = `${tmp.path}/state`;
  await Deno.writeTextFile(book, fileCookbook([file]));
  await converge([book], exec, { mode: "apply", stateDir, lock: "take" });
  const paths = statePaths(stateDir);
  writeDisabled(exec, paths, { reason: "hands on", by: "alice", at: "2026-12-01T10:00:00Z" });

  const stop = new AbortController();
  let started!: () => void;
  const watching = new Promise<void>((resolve) => started = resolve);
  let refusedOnce!: (message: string) => void;
  const refused = new Promise<string>((resolve) => refusedOnce = resolve);
  const repairs: Repair[] = [];
  const running = watch(exec, { stateDir, debounceMs: 50 }, {
    watching: () => started(),
    refused: (message) => refusedOnce(message),
    repaired: (repair) => {
      repairs.push(repair);
      stop.abort();
    },
    signal: stop.signal,
  });
  try {
    await within(watching, 10_000, "watch");
    await Deno.writeTextFile(file, "by hand\n");
    assert.match(await within(refused, 10_000, "refusal"), /cm watch refused: .*"hands on"/);
    assert.equal(await Deno.readTextFile(file), "by hand\n");
    removeDisabled(exec, paths);
    await within(running, 10_000, "repair");
  } finally {
    stop.abort();
    await running;
  }
  assert.equal(repairs.length, 1);
  assert.deepEqual(repairs[0].paths, [file]);
  assert.equal(await Deno.readTextFile(file), "managed\n");
});
