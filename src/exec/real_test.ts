import assert from "node:assert/strict";
import { MAX_TEXT_BYTES, RealExecutor } from "./real.ts";
import { tempDir } from "../_testing.ts";

const exec = new RealExecutor();

Deno.test("a timeout kills the whole process group, grandchildren included", async () => {
  const started = performance.now();
  const result = await exec.run(["sh", "-c", "sleep 30; echo done"], { timeoutMs: 500 });
  assert.equal(result.code, 124);
  assert.match(result.stderr, /timed out after 500 ms$/);
  assert.ok(performance.now() - started < 5000, "did not wait for the grandchild");
  const left = await exec.run(["pgrep", "-f", "sleep 30; echo done"]);
  assert.equal(left.stdout.trim(), "");
});

Deno.test("a child that echoes more input than a pipe holds gets it all back (no deadlock)", async () => {
  const input = "line of audit text\n".repeat(100_000);
  const result = await exec.run(["cat"], { stdin: input, timeoutMs: 20_000 });
  assert.equal(result.code, 0);
  assert.equal(result.stdout.length, input.length);
});

Deno.test("a command's output is kept up to its last 16 MiB per stream, with or without progress lines", async () => {
  // 40 MB of "x" then "end": a chatty command must not fill cm's memory (700 MB made it fail
  // with V8's "Invalid string length" though it exited 0); only the tail is ever shown.
  const argv = ["sh", "-c", "head -c 40000000 /dev/zero | tr '\\0' x; echo; echo end"];
  for (const onLine of [undefined, () => {}]) {
    const result = await exec.run(argv, { onLine });
    assert.equal(result.code, 0);
    assert.ok(result.stdout.length <= 16 << 20, `kept ${result.stdout.length}`);
    assert.ok(result.stdout.endsWith("x\nend\n"));
  }
});

Deno.test("a missing working directory is named, not reported as a missing command", async () => {
  const result = await exec.run(["true"], { cwd: "/nonexistent/dir" });
  assert.equal(result.code, 127);
  assert.equal(result.stderr, 'cannot run in "/nonexistent/dir": no such directory');
});

Deno.test("a missing command is named the same way with or without a time limit, never as timeout's failure", async () => {
  for (const options of [{}, { timeoutMs: 5000 }, { ownGroup: true }]) {
    const result = await exec.run(["cm-no-such-command", "-x"], options);
    assert.equal(result.code, 127, JSON.stringify(options));
    assert.equal(result.stderr, "cm-no-such-command: command not found", JSON.stringify(options));
  }
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/script`, "#!/bin/sh\n");
  const denied = await exec.run([`${dir.path}/script`], { timeoutMs: 5000 });
  assert.equal(denied.code, 126);
  assert.equal(denied.stderr, `${dir.path}/script: Permission denied`);
  // A command's own exit 127 keeps its own words.
  const own = await exec.run(["sh", "-c", "echo gone >&2; exit 127"], { timeoutMs: 5000 });
  assert.equal(own.stderr, "gone\n");
});

Deno.test("the environment is clean but for PATH, LANG, HOME and what is asked for", async () => {
  const result = await exec.run(["env"], { env: { EXTRA: "1" } });
  const names = result.stdout.trim().split("\n").map((l) => l.split("=")[0]).sort();
  assert.deepEqual(names, ["EXTRA", "HOME", "LANG", "PATH"]);
});

Deno.test("writeFile replaces atomically, also for a name near the 255-byte limit", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/${"n".repeat(250)}`;
  Deno.writeTextFileSync(path, "old");
  exec.writeFile(path, new TextEncoder().encode("new"), { mode: 0o640 });
  assert.equal(Deno.readTextFileSync(path), "new");
  assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["n".repeat(250)]);
});

Deno.test("writeFile gives the exact mode whatever the umask, special bits and owner included", async () => {
  await using dir = await tempDir();
  const umask = Deno.umask(0o077);
  try {
    for (const mode of [0o600, 0o666, 0o640, 0o4755, 0o1777]) {
      const path = `${dir.path}/f${mode.toString(8)}`;
      exec.writeFile(path, new TextEncoder().encode("x"), { mode, uid: Deno.uid()! });
      assert.equal(Deno.statSync(path).mode! & 0o7777, mode, path);
      exec.writeFile(path, new TextEncoder().encode("y"), { mode });
      assert.equal(Deno.statSync(path).mode! & 0o7777, mode, path);
    }
  } finally {
    Deno.umask(umask);
  }
});

Deno.test("appendFile creates a log with the exact mode whatever the umask and keeps an existing log's", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/audit.log`;
  const umask = Deno.umask(0o077);
  try {
    exec.appendFile(path, new TextEncoder().encode("a\n"), 0o640);
    assert.equal(Deno.statSync(path).mode! & 0o7777, 0o640);
    Deno.chmodSync(path, 0o600); // as logrotate's `create 0600` would leave it
    exec.appendFile(path, new TextEncoder().encode("b\n"), 0o640);
    assert.equal(Deno.statSync(path).mode! & 0o7777, 0o600);
    assert.equal(Deno.readTextFileSync(path), "a\nb\n");
  } finally {
    Deno.umask(umask);
  }
});

Deno.test("appendFile appends chunks in their order after what the log holds", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/audit.log`;
  Deno.writeTextFileSync(path, "a\n");
  const chunks = ["b\n", "", "c\nd\n"].map((t) => new TextEncoder().encode(t));
  exec.appendFile(path, chunks.values(), 0o640);
  assert.equal(Deno.readTextFileSync(path), "a\nb\nc\nd\n");
});

Deno.test("appendFile refuses a FIFO at the log's path instead of waiting for a reader", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/audit.log`;
  await new Deno.Command("mkfifo", { args: ["--", path] }).output();
  assert.throws(
    () => exec.appendFile(path, new TextEncoder().encode("a\n"), 0o640),
    /refusing to append to ".*audit\.log": it is a FIFO/,
  );
});

Deno.test("writeFile removes the target's leftover temporary files from a killed run, only those", async () => {
  await using dir = await tempDir();
  const names = [
    ".cm-validate-0123abcd-app.conf",
    ".app.conf.cm-0123abcd",
    ".app.conf.cm-89abcdef",
    ".other.cm-0123abcd",
    ".app.conf.cm-x",
  ];
  for (const name of names) Deno.writeTextFileSync(`${dir.path}/${name}`, "secret");
  new RealExecutor().writeFile(`${dir.path}/app.conf`, new TextEncoder().encode("new"), {});
  const left = [...Deno.readDirSync(dir.path)].map((e) => e.name).sort();
  assert.deepEqual(left, [".app.conf.cm-x", ".other.cm-0123abcd", "app.conf"]);
});

Deno.test("a directory named like a leftover (planted by the directory's owner) is left alone, the write succeeds", async () => {
  await using dir = await tempDir();
  Deno.mkdirSync(`${dir.path}/.app.conf.cm-0123abcd/sub`, { recursive: true });
  new RealExecutor().writeFile(`${dir.path}/app.conf`, new TextEncoder().encode("new"), {});
  assert.equal(Deno.readTextFileSync(`${dir.path}/app.conf`), "new");
  assert.ok(Deno.statSync(`${dir.path}/.app.conf.cm-0123abcd/sub`).isDirectory);
});

Deno.test("chmod and chown change the file itself and refuse a symbolic link", async () => {
  await using dir = await tempDir();
  Deno.writeTextFileSync(`${dir.path}/victim`, "");
  Deno.chmodSync(`${dir.path}/victim`, 0o600);
  Deno.symlinkSync(`${dir.path}/victim`, `${dir.path}/link`);
  assert.throws(() => exec.chmod(`${dir.path}/link`, 0o666), /is a symbolic link \(not followed\)/);
  assert.throws(() => exec.chown(`${dir.path}/link`, 0, 0), /is a symbolic link/);
  assert.equal(Deno.statSync(`${dir.path}/victim`).mode! & 0o777, 0o600);
  exec.chmod(`${dir.path}/victim`, 0o640);
  assert.equal(Deno.statSync(`${dir.path}/victim`).mode! & 0o777, 0o640);
  assert.throws(() => exec.chmod(`${dir.path}/missing`, 0o640), Deno.errors.NotFound);
});

Deno.test("symlink replaces a link or a file atomically and readLink reads it back", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/current`;
  exec.symlink("releases/1", path);
  assert.equal(exec.readLink(path), "releases/1");
  exec.symlink("releases/2", path);
  assert.equal(exec.readLink(path), "releases/2");
  Deno.removeSync(path);
  Deno.writeTextFileSync(path, "a file");
  exec.symlink("releases/3", path);
  assert.equal(exec.readLink(path), "releases/3");
  assert.equal(exec.readLink(`${dir.path}/missing`), null);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["current"]);
});

Deno.test("readLink is null for a file and symlink refuses a directory, leaving no temporary link", async () => {
  await using dir = await tempDir();
  Deno.writeTextFileSync(`${dir.path}/file`, "x");
  assert.equal(exec.readLink(`${dir.path}/file`), null);
  Deno.mkdirSync(`${dir.path}/dir`);
  assert.throws(() => exec.symlink("elsewhere", `${dir.path}/dir`));
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), ["dir", "file"]);
});

Deno.test("mkdir sets the mode of a new or existing directory and refuses a symbolic link", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state`;
  exec.mkdir(path, { mode: 0o700 });
  assert.equal(Deno.statSync(path).mode! & 0o7777, 0o700);
  Deno.chmodSync(path, 0o755);
  exec.mkdir(path, { mode: 0o700 });
  assert.equal(Deno.statSync(path).mode! & 0o7777, 0o700);
  Deno.symlinkSync(path, `${dir.path}/link`);
  assert.throws(() => exec.mkdir(`${dir.path}/link`, { mode: 0o700 }), /symbolic link/);
});

Deno.test("readText decodes a file and frees its bytes at once; null when it is missing", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.json`;
  const text = `["${"é".repeat(4 << 20)}"]\n`; // 8 MiB of UTF-8, read through a sized buffer
  Deno.writeTextFileSync(path, text);
  const before = Deno.memoryUsage().external;
  assert.equal(exec.readText(path), text);
  assert.ok(Deno.memoryUsage().external - before < 1 << 20, "the 8 MiB read buffer was freed");
  assert.equal(exec.readText(`${dir.path}/gone.json`), null);
});

Deno.test("a Ctrl-C at the terminal (SIGINT to cm's process group) spares a child in its own group", async () => {
  await using dir = await tempDir();
  // A stand-in for cm: its own process group (setsid), a SIGINT listener, one child at work.
  const script = `${dir.path}/runner.ts`;
  Deno.writeTextFileSync(
    script,
    `import { RealExecutor } from ${JSON.stringify(new URL("./real.ts", import.meta.url).href)};
Deno.addSignalListener("SIGINT", () => {});
const ownGroup = Deno.args[0] === "own";
const r = await new RealExecutor().run(["sh", "-c", 'touch "$1"; sleep 1; echo finished', "sh", Deno.args[1]], { ownGroup });
console.log(JSON.stringify(r));
Deno.exit(0);`,
  );
  const outcome = async (mode: string) => {
    const started = `${dir.path}/${mode}.started`;
    const child = new Deno.Command("setsid", {
      args: [Deno.execPath(), "run", "-A", script, mode, started],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    while (!(await Deno.stat(started).catch(() => null))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The terminal signals the whole foreground group: setsid made it the runner's pid.
    await new Deno.Command("kill", { args: ["-INT", "--", `-${child.pid}`] }).output();
    return JSON.parse(new TextDecoder().decode((await child.output()).stdout));
  };
  const [own, shared] = await Promise.all([outcome("own"), outcome("shared")]);
  assert.deepEqual([own.code, own.stdout], [0, "finished\n"]);
  assert.deepEqual([shared.code, shared.signal], [130, "SIGINT"]);
});

Deno.test("a child in its own group has no terminal: a prompt on /dev/tty fails instead of stopping it for good", async () => {
  const session = (stat: string) => stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3];
  const own = await exec.run(["cat", "/proc/self/stat"], { ownGroup: true });
  const timed = await exec.run(["cat", "/proc/self/stat"], { timeoutMs: 5000 });
  const mine = session(Deno.readTextFileSync("/proc/self/stat"));
  for (const { code, stdout } of [own, timed]) {
    assert.equal(code, 0);
    assert.notEqual(session(stdout), mine, "a session of its own, so no controlling terminal");
  }
});

Deno.test("readText refuses a directory, FIFO or device instead of blocking or reading for ever", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/state.json`;
  await new Deno.Command("mkfifo", { args: ["--", fifo] }).output();
  assert.throws(
    () => exec.readText(fifo),
    /^StateError: cannot read ".*state.json": not a regular file/,
  );
  Deno.symlinkSync("/dev/zero", `${dir.path}/zero.json`);
  assert.throws(() => exec.readText(`${dir.path}/zero.json`), /not a regular file/);
  Deno.mkdirSync(`${dir.path}/drift.json`);
  assert.throws(
    () => exec.readText(`${dir.path}/drift.json`),
    /^StateError: cannot read ".*drift.json": is a directory, expected a file$/,
  );
});

Deno.test("readText refuses a file too large to be a string before reading it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.json`;
  using file = Deno.openSync(path, { write: true, create: true });
  file.truncateSync(MAX_TEXT_BYTES + 1); // sparse: no disk used
  assert.throws(() => exec.readText(path), /^StateError: cannot read ".*": larger than 256 MiB/);
});

Deno.test("exit 124 or death by SIGKILL well before the limit is the command's own, not a timeout", async () => {
  const own = await exec.run(["sh", "-c", "exit 124"], { timeoutMs: 5000 });
  assert.deepEqual([own.code, own.stderr], [124, ""]);
  const killed = await exec.run(["sh", "-c", "kill -KILL $$"], { timeoutMs: 5000 });
  assert.deepEqual([killed.code, killed.signal, killed.stderr], [137, "SIGKILL", ""]);
  const late = await exec.run(["sleep", "5"], { timeoutMs: 200 });
  assert.match(late.stderr, /timed out after 200 ms$/);
});

Deno.test("removeTree removes a tree and the links in it, never what they point at", async () => {
  await using dir = await tempDir();
  const outside = `${dir.path}/outside`;
  Deno.mkdirSync(outside);
  Deno.writeTextFileSync(`${outside}/keep`, "keep");
  const tree = `${dir.path}/tree`;
  Deno.mkdirSync(`${tree}/sub/deeper`, { recursive: true });
  Deno.writeTextFileSync(`${tree}/sub/deeper/f`, "x");
  Deno.symlinkSync(outside, `${tree}/sub/to-outside`);
  Deno.symlinkSync(`${outside}/keep`, `${tree}/to-keep`);
  assert.deepEqual(exec.listDir(tree), ["sub", "to-keep"]);
  assert.equal(exec.listDir(`${tree}/sub/to-outside`), null, "a link to a directory is not listed");
  exec.removeTree(tree);
  assert.equal(exec.stat(tree), null);
  assert.equal(Deno.readTextFileSync(`${outside}/keep`), "keep");
  exec.removeTree(tree);
});

Deno.test("removeTree on a link to a directory removes the link only", async () => {
  await using dir = await tempDir();
  Deno.mkdirSync(`${dir.path}/real`);
  Deno.writeTextFileSync(`${dir.path}/real/f`, "x");
  Deno.symlinkSync(`${dir.path}/real`, `${dir.path}/link`);
  exec.removeTree(`${dir.path}/link`);
  assert.equal(exec.stat(`${dir.path}/link`), null);
  assert.equal(Deno.readTextFileSync(`${dir.path}/real/f`), "x");
});

Deno.test("removeTree refuses / and top-level directories, and paths that are not normalised", () => {
  for (const path of ["/", "/etc", "/home", "etc/x", "/srv/../etc", "/srv//x", "/srv/./x"]) {
    assert.throws(() => exec.removeTree(path), /^Error: refusing to remove ".*" whole: /, path);
  }
  assert.ok(exec.stat("/etc"));
});
