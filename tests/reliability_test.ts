/**
 * cm under signals, kill -9, full disks and hostile links: the figures of the
 * README's "Reliability" section are printed here ("signals honoured",
 * "kill points survived").
 */
import assert from "node:assert/strict";
import { runCm, tempDir, TEST_ENV } from "./harness.ts";
import { cmCommand } from "../scripts/cm_command.ts";

const asRoot = Deno.uid() === 0;

/** A cookbook of `n` small files under `root/files` (which it declares). */
function manyFiles(root: string, n: number, content = "v1"): string {
  const files = Array.from(
    { length: n },
    (_, i) => `    - path: ${root}/files/f${i}\n      content: "${content} ${i}\\n"`,
  );
  return `configure:\n  directories:\n    - path: ${root}/files\n  files:\n${files.join("\n")}\n`;
}

function spawnCm(args: string[]): Deno.ChildProcess {
  const [bin, ...rest] = cmCommand(args);
  return new Deno.Command(bin, { args: rest, stdout: "piped", stderr: "piped", env: TEST_ENV })
    .spawn();
}

/** Waits until `dir` holds at least `n` entries (the file batch is under way). */
async function whenFilesAtLeast(dir: string, n: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    try {
      let count = 0;
      for await (const _ of Deno.readDir(dir)) if (++count >= n) return;
    } catch { /* not created yet */ }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${dir} never held ${n} entries`);
}

async function lastReport(state: string) {
  const shown = await runCm(["show-run", "--json", "--state-dir", state, "2"]);
  return JSON.parse(shown.stdout);
}

type Outcome = { honoured: boolean; detail: string };

/** One signal during a 1,500-file batch: the run stops, is recorded interrupted, exits 128+n. */
async function oneSignal(signal: "SIGTERM" | "SIGINT"): Promise<Outcome> {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  await Deno.writeTextFile(book, manyFiles(`${dir.path}/root`, 1500));
  const child = spawnCm(["apply", "--state-dir", `${dir.path}/state`, book]);
  await whenFilesAtLeast(`${dir.path}/root/files`, 20);
  child.kill(signal);
  const { code, stderr } = await child.output();
  const report = await lastReport(`${dir.path}/state`);
  const skipped = report.resources.filter((r: { status: string }) => r.status === "skipped");
  const expected = signal === "SIGTERM" ? 143 : 130;
  const honoured = code === expected && report.result === "interrupted" && skipped.length > 0 &&
    new TextDecoder().decode(stderr).includes(`cm: ${signal}: stopping after the resource`);
  return { honoured, detail: `${signal}: exit ${code}, ${skipped.length} skipped` };
}

/** A second SIGTERM while the first is being honoured ends cm at once. */
async function secondSignal(): Promise<Outcome> {
  await using dir = await tempDir();
  const book = `${dir.path}/book.yaml`;
  // A slow command: the first signal is honoured after it, the second is not. Long enough
  // that a loaded machine's late pgrep still signals it mid-sleep, not as it ends.
  await Deno.writeTextFile(
    book,
    `install:\n  pre_install:\n    - command: [/bin/sleep, "8.3"]\n      name: slow\n`,
  );
  const child = spawnCm(["apply", "--state-dir", `${dir.path}/state`, book]);
  for (let i = 0; i < 400; i++) {
    const found = await new Deno.Command("pgrep", { args: ["-fx", "/bin/sleep 8.3"] }).output();
    if (found.code === 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const started = performance.now();
  child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGTERM");
  const status = await child.status;
  const ms = performance.now() - started;
  // Waiting for the command would take the rest of its 8.3 s sleep; "at once" is well before.
  return { honoured: status.signal === "SIGTERM" && ms < 4000, detail: `second SIGTERM: ${ms} ms` };
}

Deno.test("signals during a 1,500-file batch stop the run; a second one stops cm at once", async () => {
  const outcomes = [await oneSignal("SIGTERM"), await oneSignal("SIGINT"), await secondSignal()];
  const honoured = outcomes.filter((o) => o.honoured).length;
  console.log(`signals honoured: ${honoured}/${outcomes.length} sent`);
  assert.equal(honoured, outcomes.length, outcomes.map((o) => o.detail).join("; "));
});

Deno.test("a run lock that is a symbolic link is refused and its target stays whole", async () => {
  await using dir = await tempDir();
  const state = `${dir.path}/state`;
  await Deno.mkdir(state);
  await Deno.writeTextFile(`${dir.path}/victim`, "precious\n");
  await Deno.symlink(`${dir.path}/victim`, `${state}/lock`);
  await Deno.writeTextFile(`${dir.path}/book.yaml`, manyFiles(`${dir.path}/root`, 1));
  const result = await runCm(["apply", "--state-dir", state, `${dir.path}/book.yaml`]);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(
    result.stderr,
    `cm: refusing run lock "${state}/lock": it is a symbolic link (remove it)\n`,
  );
  assert.equal(await Deno.readTextFile(`${dir.path}/victim`), "precious\n");
  await assert.rejects(Deno.stat(`${dir.path}/root`), Deno.errors.NotFound);
});

Deno.test("--state-dir naming a regular file, or a lock that is a directory: exit 2 naming it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/book.yaml`, manyFiles(`${dir.path}/root`, 1));
  await Deno.writeTextFile(`${dir.path}/plain`, "");
  for (const command of ["apply", "history", "status"]) {
    const args = command === "apply" ? [`${dir.path}/book.yaml`] : [];
    const read = await runCm([command, "--state-dir", `${dir.path}/plain`, ...args]);
    assert.equal(read.code, 2, read.stderr);
    assert.match(read.stderr, /^cm: cannot [a-z ]+ ".*\/plain\/[a-z.]+": not a directory\n$/);
  }
  await Deno.mkdir(`${dir.path}/state/lock`, { recursive: true });
  const lock = await runCm(["apply", "--state-dir", `${dir.path}/state`, `${dir.path}/book.yaml`]);
  assert.equal(lock.code, 2, lock.stderr);
  assert.equal(lock.stderr, `cm: cannot open run lock "${dir.path}/state/lock": is a directory\n`);
  await assert.rejects(Deno.stat(`${dir.path}/root`), Deno.errors.NotFound);
});

/** A tmpfs of `size` mounted on `path`, unmounted when disposed. */
async function tmpfs(path: string, size: string): Promise<AsyncDisposable> {
  await Deno.mkdir(path, { recursive: true });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", path],
  }).output();
  assert.equal(mount.code, 0, new TextDecoder().decode(mount.stderr));
  return {
    [Symbol.asyncDispose]: async () => {
      await new Deno.Command("umount", { args: [path] }).output();
    },
  };
}

/** Fills the file system holding `dir` to the last byte. */
async function fill(dir: string): Promise<void> {
  const file = await Deno.open(`${dir}/filler`, { write: true, create: true });
  try {
    while (true) await file.write(new Uint8Array(4096));
  } catch {
    /* full */
  } finally {
    file.close();
  }
}

Deno.test({
  name: "a full disk: state dir full before the run, after the changes, and a full target dir",
  ignore: !asRoot,
  fn: async () => {
    await using dir = await tempDir();
    const state = `${dir.path}/state`;
    const book = `${dir.path}/book.yaml`;
    await Deno.writeTextFile(book, manyFiles(`${dir.path}/root`, 300));
    {
      // 96 KiB: room for the lock and the run's snapshot manifest, not for its report.
      await using _disk = await tmpfs(state, "96k");
      await fill(state);
      const before = await runCm(["apply", "--state-dir", state, book]);
      assert.equal(before.code, 2, before.stderr);
      assert.equal(
        before.stderr,
        `cm: cannot write run lock "${state}/lock": no space left on device\n`,
      );
      await assert.rejects(Deno.stat(`${dir.path}/root`), Deno.errors.NotFound);
      await Deno.remove(`${state}/filler`);

      // The changes are made (their snapshot fits), the record does not.
      const after = await runCm(["apply", "--state-dir", state, book]);
      assert.equal(after.code, 1, after.stderr);
      assert.match(
        after.stderr,
        /^cm: run \S+ changed the machine but was not recorded: cannot write run report ".*": no space left on device \(free the space; the next run records what it finds\)$/m,
      );
      assert.equal(await Deno.readTextFile(`${dir.path}/root/files/f299`), "v1 299\n");
      const remount = await new Deno.Command("mount", {
        args: ["-o", "remount,size=16m", state],
      }).output();
      assert.equal(remount.code, 0);
      const next = await runCm(["apply", "--state-dir", state, book]);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, /apply: 0 changed, 301 unchanged/);
      const saved = JSON.parse(await Deno.readTextFile(`${state}/state.json`));
      assert.equal(Object.keys(saved.resources).length, 301);
    }
    const target = `${dir.path}/small`;
    await using _target = await tmpfs(target, "64k");
    await Deno.writeTextFile(
      book,
      `configure:\n  files:\n    - path: ${target}/big\n      content: "${"x".repeat(100_000)}"\n`,
    );
    const full = await runCm(["apply", "--state-dir", state, book]);
    assert.equal(full.code, 1, full.stderr);
    assert.match(
      full.stdout,
      /failed +file\[.*\/small\/big\] at \S+: cannot write ".*\/small\/big": no space left on device$/m,
    );
    assert.deepEqual([...Deno.readDirSync(target)], [], "no temporary file is left behind");
  },
});

Deno.test({
  name:
    "kill -9 at many points across runs of 300 files: every file old or new, state readable, next run exact",
  fn: async () => {
    await using dir = await tempDir();
    const root = `${dir.path}/root`;
    const state = `${dir.path}/state`;
    const book = `${dir.path}/book.yaml`;
    const points = [150, 400, 650, 900, 1150, 1400, 1650, 1900, 2150, 2400, 2650, 2900];
    const failures: string[] = [];
    for (const [k, delay] of points.entries()) {
      await Deno.writeTextFile(book, manyFiles(root, 300, `v${k}`));
      const child = spawnCm(["apply", "--state-dir", state, book]);
      await new Promise((r) => setTimeout(r, delay));
      try {
        child.kill("SIGKILL");
      } catch { /* it had finished */ }
      await child.output();
      const problems = await crashDamage(root, state);
      if (problems.length) failures.push(`kill ${k} after ${delay} ms: ${problems.join("; ")}`);
    }
    console.log(`kill points survived: ${points.length - failures.length}/${points.length} tried`);
    assert.deepEqual(failures, []);

    await Deno.writeTextFile(book, manyFiles(root, 300, "final"));
    const next = await runCm(["apply", "--state-dir", state, book]);
    assert.equal(next.code, 0, next.stderr);
    const names = [...Deno.readDirSync(`${root}/files`)].map((e) => e.name);
    assert.equal(names.length, 300, "no leftover temporary files after the next run");
    for (const name of names) {
      assert.equal(Deno.readTextFileSync(`${root}/files/${name}`), `final ${name.slice(1)}\n`);
    }
    const again = await runCm(["apply", "--state-dir", state, book]);
    assert.match(again.stdout, /apply: 0 changed, 301 unchanged, 0 failed/);
  },
});

/** What a kill broke: a file neither old nor new, or an unreadable state file. */
async function crashDamage(root: string, state: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${root}/files`)) {
      if (/\.cm-[0-9a-f]{8}$/.test(entry.name)) continue; // the killed run's temp: removed next time
      const text = await Deno.readTextFile(`${root}/files/${entry.name}`);
      if (!new RegExp(`^v\\d+ ${entry.name.slice(1)}\\n$`).test(text)) {
        problems.push(`${entry.name} holds ${JSON.stringify(text)}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  try {
    JSON.parse(await Deno.readTextFile(`${state}/state.json`));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) problems.push(`state.json: ${error}`);
  }
  return problems;
}

Deno.test({
  name:
    "a parent owned by another user that links into root's directories is refused; root's links are followed",
  ignore: !asRoot,
  fn: async () => {
    await using dir = await tempDir();
    const home = `${dir.path}/home/alice`;
    await Deno.mkdir(`${dir.path}/etc`);
    await Deno.mkdir(home, { recursive: true });
    await Deno.chown(home, 65534, 65534);
    await Deno.symlink(`${dir.path}/etc`, `${home}/.ssh`);
    const lchown = await new Deno.Command("chown", { args: ["-h", "65534:65534", `${home}/.ssh`] })
      .output();
    assert.equal(lchown.code, 0);
    const book = `${dir.path}/book.yaml`;
    await Deno.writeTextFile(
      book,
      `configure:\n  files:\n    - path: ${home}/.ssh/authorized_keys\n      content: "ssh-ed25519 AAAA\\n"\n      owner: "65534"\n`,
    );
    const refused = `cannot manage "${home}/.ssh/authorized_keys": unsafe path transition from ` +
      `"${home}/.ssh" (owned by nobody) to "/tmp" (owned by root)`;
    for (const command of ["plan", "apply"]) {
      const result = await runCm([command, "--state-dir", `${dir.path}/state`, book]);
      assert.equal(result.code, 1, result.stderr);
      assert.ok(result.stdout.includes(refused), result.stdout);
    }
    await assert.rejects(Deno.lstat(`${dir.path}/etc/authorized_keys`), Deno.errors.NotFound);

    // The same link, and the directory holding it, owned by root: followed, the file lands in
    // the real directory. (A root-owned link in alice's directory stays refused: she can swap it.)
    await Deno.chown(home, 0, 0);
    const rootOwned = await new Deno.Command("chown", { args: ["-h", "0:0", `${home}/.ssh`] })
      .output();
    assert.equal(rootOwned.code, 0);
    const applied = await runCm(["apply", "--state-dir", `${dir.path}/state`, book]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await Deno.readTextFile(`${dir.path}/etc/authorized_keys`), "ssh-ed25519 AAAA\n");
  },
});
