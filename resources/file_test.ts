import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import type { Executor, Probe } from "../src/exec/executor.ts";
import { file, fileDiffText, type FileSpec, type FileState } from "./file.ts";
import { schema as fileSchema } from "./file_schema.ts";
import type { Change } from "./resource.ts";
import { testContext } from "./_testing.ts";

function spec(fields: Record<string, unknown>, extra: Partial<FileSpec> = {}): FileSpec {
  return { ...fileSchema.parse(fields), ...extra };
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function plan(s: FileSpec, probe: Probe): Promise<{ state: FileState; changes: Change[] }> {
  const [state] = await file.read([s], probe, testContext("plan"));
  return { state, changes: file.diff(s, state) };
}

/** read → diff → apply, as the engine does; returns the changes and the outcome. */
async function converge(s: FileSpec, exec: Executor) {
  const { state, changes } = await plan(s, exec);
  const [outcome] = await file.apply([{ spec: s, changes }], exec, testContext());
  return { state, changes, outcome };
}

// ---- diff and apply against the recording executor ----

Deno.test("file diff reports nothing when content, owner, group and mode match", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/motd", "hi\n", {
    mode: 0o640,
    uid: 33,
    gid: 33,
  });
  const s = spec({
    path: "/etc/motd",
    content: "hi\n",
    owner: "www-data",
    group: "www-data",
    mode: "0640",
  });
  const { state, changes } = await plan(s, exec);
  assert.deepEqual(changes, []);
  assert.equal(state.sha256, hash("hi\n"));
  assert.equal(fileDiffText(s, state, true), null);
});

Deno.test("file diff reports a content change as sizes and line counts before and after", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/motd", "old\n");
  const { state, changes } = await plan(spec({ path: "/etc/motd", content: "new\n" }), exec);
  assert.equal(state.sha256, hash("old\n"), "the current content's own hash, same size or not");
  assert.equal(state.wantSha256, hash("new\n"));
  assert.deepEqual(changes, [{
    field: "content",
    before: "4 B, 1 line",
    after: "4 B, 1 line",
    note: "same size",
  }]);
  const longer = await plan(spec({ path: "/etc/motd", content: "new\nand more\n" }), exec);
  assert.deepEqual(longer.changes, [{
    field: "content",
    before: "4 B, 1 line",
    after: "13 B, 2 lines",
  }]);
});

Deno.test("file diff ignores owner, group and mode when the spec does not set them", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "same", {
    mode: 0o600,
    uid: 33,
    gid: 1234,
  });
  const { changes } = await plan(spec({ path: "/etc/x", content: "same" }), exec);
  assert.deepEqual(changes, []);
});

Deno.test("file diff reports mode change when only the mode differs, and apply only chmods", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "same", {
    mode: 0o644,
  });
  const { changes, outcome } = await converge(
    spec({ path: "/etc/x", content: "same", mode: "600" }),
    exec,
  );
  assert.deepEqual(changes, [{ field: "mode", before: "0644", after: "0600" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["chmod /etc/x 600"]);
});

Deno.test("file diff names the current and wanted owner and group, and apply chowns once", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "same");
  const { changes, outcome } = await converge(
    spec({ path: "/etc/x", content: "same", owner: "www-data", group: "www-data" }),
    exec,
  );
  assert.deepEqual(changes, [
    { field: "owner", before: "root", after: "www-data" },
    { field: "group", before: "root", after: "www-data" },
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["chown /etc/x 33:33"]);
});

Deno.test("file apply narrows the mode before handing a file to a new group", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/shadowish", "x", {
    mode: 0o640,
    gid: 42,
  });
  await converge(spec({ path: "/etc/shadowish", group: "www-data", mode: "0600" }), exec);
  assert.deepEqual(exec.writes, [
    "chmod /etc/shadowish 600",
    "chown /etc/shadowish -:33",
    "chmod /etc/shadowish 600",
  ]);
});

Deno.test("file apply keeps setuid bits that chown clears", async () => {
  const exec = new RecordingExecutor().put("/usr", undefined).put("/usr/x", "bin", {
    mode: 0o4755,
  });
  await converge(spec({ path: "/usr/x", owner: "www-data" }), exec);
  assert.deepEqual(exec.writes, ["chown /usr/x 33:-", "chmod /usr/x 4755"]);
});

Deno.test("file creates a new file with mode 0644 and lists every managed field", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined);
  const { changes, outcome } = await converge(
    spec({ path: "/etc/new", content: "hello\n", owner: "www-data" }),
    exec,
  );
  assert.deepEqual(changes, [
    { field: "state", before: "absent", after: "present" },
    { field: "content", before: null, after: "6 B, 1 line" },
    { field: "owner", before: null, after: "www-data" },
  ]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["write /etc/new"]);
  assert.equal(exec.text("/etc/new"), "hello\n");
  assert.equal(exec.stat("/etc/new")?.mode, 0o644);
  assert.equal(exec.stat("/etc/new")?.uid, 33);
});

Deno.test("file replacing content keeps the existing mode and owner when unspecified", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "old", {
    mode: 0o600,
    uid: 33,
    gid: 33,
  });
  await converge(spec({ path: "/etc/x", content: "new" }), exec);
  assert.deepEqual(exec.writes, ["write /etc/x"]);
  const info = exec.stat("/etc/x")!;
  assert.deepEqual([info.mode, info.uid, info.gid], [0o600, 33, 33]);
});

Deno.test("file with sensitive content never shows the content or its hash", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/secret", "old-pass");
  const s = spec({ path: "/etc/secret", content: "new-pass", sensitive: true });
  const { state, changes } = await plan(s, exec);
  assert.deepEqual(changes, [{
    field: "content",
    before: "(sensitive)",
    after: "(sensitive)",
    note: "sensitive: content not shown",
  }]);
  assert.equal(fileDiffText(s, state, true), "(sensitive content changed)");
  assert.equal(state.oldText, undefined);
  assert.equal(state.newText, undefined);
  const shown = JSON.stringify(changes);
  for (const secret of ["old-pass", "new-pass", hash("old-pass"), hash("new-pass")]) {
    assert.ok(!shown.includes(secret), `${secret} leaked`);
  }
});

Deno.test("fileDiffText gives a unified diff labelled with the path", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "a\nb\nc\n");
  const s = spec({ path: "/etc/x", content: "a\nB\nc\n" });
  const { state } = await plan(s, exec);
  assert.equal(
    fileDiffText(s, state, true),
    "--- /etc/x\n+++ /etc/x (cookbook)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
  );
});

Deno.test("fileDiffText diffs a new file against /dev/null", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined);
  const s = spec({ path: "/etc/x", content: "one\n" });
  const { state } = await plan(s, exec);
  assert.equal(
    fileDiffText(s, state, true),
    "--- /dev/null\n+++ /etc/x (cookbook)\n@@ -0,0 +1 @@\n+one\n",
  );
  assert.equal(fileDiffText(s, state, false), null, "an apply's record leaves new files out");
});

Deno.test("file copies a binary source verbatim and summarises its diff", async () => {
  const bytes = new Uint8Array([0, 1, 2, 255, 254]);
  const exec = new RecordingExecutor().put("/srv", undefined).put("/cookbook/logo.bin", bytes)
    .put("/srv/logo.bin", "text");
  const s = spec({ path: "/srv/logo.bin" }, { sourcePath: "/cookbook/logo.bin" });
  const { state, changes } = await plan(s, exec);
  assert.deepEqual(changes[0], { field: "content", before: "4 B, 1 line", after: "5 B, binary" });
  assert.match(fileDiffText(s, state, true)!, /^\(binary or large content changed: sha256 /);
  const [outcome] = await file.apply([{ spec: s, changes }], exec, testContext());
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.readFile("/srv/logo.bin"), bytes);
});

Deno.test("file plans a source and a target over 1 MiB by their hashes alone, never holding them whole", async () => {
  const big = new Uint8Array((1 << 20) + 1).fill(97);
  const read: string[] = [];
  const exec = new class extends RecordingExecutor {
    override readFile(path: string) {
      read.push(path);
      return super.readFile(path);
    }
  }().put("/srv", undefined).put("/cookbook/big.txt", big).put(
    "/srv/big.txt",
    new Uint8Array((1 << 20) + 2).fill(98),
  );
  const s = spec({ path: "/srv/big.txt" }, { sourcePath: "/cookbook/big.txt" });
  const { state, changes } = await plan(s, exec);
  assert.deepEqual(read, []);
  assert.deepEqual([changes[0].before, changes[0].after], ["1.0 MiB", "1.0 MiB"]);
  assert.equal(state.wantSha256, createHash("sha256").update(big).digest("hex"));
  assert.match(fileDiffText(s, state, true)!, /^\(binary or large content changed: sha256 /);
});

Deno.test("file with a missing source shows it in the plan and fails at apply", async () => {
  const exec = new RecordingExecutor().put("/srv", undefined);
  const s = spec({ path: "/srv/x" }, { sourcePath: "/cookbook/gone" });
  const { changes, outcome } = await converge(s, exec);
  assert.equal(changes[1].note, 'source "/cookbook/gone" does not exist');
  assert.deepEqual(outcome, { ok: false, error: 'source "/cookbook/gone" does not exist' });
  assert.deepEqual(exec.writes, []);
});

Deno.test("file without content or source creates an empty file and leaves content alone", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/kept", "anything");
  assert.deepEqual((await plan(spec({ path: "/etc/kept" }), exec)).changes, []);
  const { changes } = await converge(spec({ path: "/etc/empty", mode: "0600" }), exec);
  assert.deepEqual(changes.map((c) => c.field), ["state", "mode"]);
  assert.equal(exec.readFile("/etc/empty")?.length, 0);
  assert.equal(exec.stat("/etc/empty")?.mode, 0o600);
});

Deno.test("file validate runs the command on a temporary file beside the target", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/nginx", undefined)
    .put("/etc/nginx/nginx.conf", "old");
  let validated = "";
  exec.on(["nginx"], (argv) => {
    validated = exec.text(argv[3]) ?? "";
    return { code: 0 };
  });
  const { outcome } = await converge(
    spec({ path: "/etc/nginx/nginx.conf", content: "new", validate: "nginx -t -c %s" }),
    exec,
  );
  assert.deepEqual(outcome, { ok: true });
  assert.equal(exec.calls.length, 1);
  const temp = exec.calls[0][3];
  assert.match(temp, /^\/etc\/nginx\/\.cm-validate-[0-9a-f]{8}-nginx\.conf$/);
  assert.deepEqual(exec.calls[0], ["nginx", "-t", "-c", temp]);
  assert.equal(validated, "new");
  assert.deepEqual(exec.writes, [
    `write ${temp}`,
    `remove ${temp}`,
    "write /etc/nginx/nginx.conf",
  ]);
  assert.equal(exec.text("/etc/nginx/nginx.conf"), "new");
});

Deno.test("file validate failing refuses the content, removes the temporary file and reports stderr", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x.conf", "old")
    .on(["check"], { code: 1, stderr: "line 1\nx.conf:3: unknown directive\n" });
  const { outcome } = await converge(
    spec({ path: "/etc/x.conf", content: "bad", validate: "check --file=%s" }),
    exec,
  );
  assert.equal(outcome.ok, false);
  const temp = exec.calls[0][1].slice("--file=".length);
  assert.equal(
    (outcome as { error: string }).error,
    `validate refused the new content: check --file=${temp} exited 1: line 1\nx.conf:3: unknown directive`,
  );
  assert.deepEqual(exec.writes, [`write ${temp}`, `remove ${temp}`]);
  assert.equal(exec.text("/etc/x.conf"), "old");
  assert.equal(exec.stat(temp), null);
});

Deno.test("file validate of sensitive content hides the validator's output, which may echo it", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/db.env", "old")
    .on(["check"], { code: 1, stderr: "syntax error near 'hunter2'\n" });
  const { outcome } = await converge(
    spec({ path: "/etc/db.env", content: "PW=hunter2", validate: "check %s", sensitive: true }),
    exec,
  );
  const error = (outcome as { error: string }).error;
  assert.match(error, /exited 1: \(output hidden: sensitive\)$/);
  assert.doesNotMatch(error, /hunter2/);
});

Deno.test("file fingerprint is the hash of what is there, or once applied of what was written", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/motd", "old\n");
  const s = spec({ path: "/etc/motd", content: "new\n" });
  const { state } = await plan(s, exec);
  assert.equal(file.fingerprint!(s, state), hash("old\n"));
  assert.equal(file.fingerprint!(s, state, true), hash("new\n"));
  assert.equal(file.fingerprint!({ ...s, sensitive: true }, state, true), undefined);
});

Deno.test("a new sensitive file without a mode is created 0600, and no hash of it is recorded", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined);
  const s = spec({ path: "/etc/token", content: "s3cret", sensitive: true });
  await converge(s, exec);
  assert.equal(exec.stat("/etc/token")?.mode, 0o600);
  assert.equal(file.fingerprint!(s, (await plan(s, exec)).state), undefined);
  const plain = spec({ path: "/etc/token", content: "s3cret" });
  assert.match(file.fingerprint!(plain, (await plan(plain, exec)).state)!, /^[0-9a-f]{64}$/);
});

Deno.test("file validate with shell syntax fails with a message instead of running it", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined);
  const { outcome } = await converge(
    spec({ path: "/etc/x", content: "x", validate: "check %s | grep ok" }),
    exec,
  );
  assert.equal(outcome.ok, false);
  assert.match((outcome as { error: string }).error, /^validate: "\|" needs a shell/);
  assert.deepEqual(exec.calls, []);
  assert.deepEqual(exec.writes, []);
});

Deno.test("file apply fails naming an owner or group that does not exist; the plan says so", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "x");
  const s = spec({ path: "/etc/x", content: "x", owner: "ghost", group: "phantoms" });
  const { changes, outcome } = await converge(s, exec);
  // Nothing in the run makes them: the plan counts the change as failed (blocked).
  assert.deepEqual(changes, [
    {
      field: "owner",
      before: "root",
      after: "ghost",
      note: 'user "ghost" does not exist',
      blocked: true,
    },
    {
      field: "group",
      before: "root",
      after: "phantoms",
      note: 'group "phantoms" does not exist',
      blocked: true,
    },
  ]);
  assert.deepEqual(outcome, { ok: false, error: 'user "ghost" does not exist' });
  assert.deepEqual(exec.writes, []);
});

Deno.test("an owner that a user resource, a package or a command of the run may make is only not there yet", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "x");
  const s = spec({ path: "/etc/x", content: "x", owner: "ghost" });
  const yet = {
    field: "owner",
    before: "root",
    after: "ghost",
    note: 'user "ghost" does not exist yet',
  };
  for (
    const ctx of [
      testContext("plan", [], { "user:ghost": "user" }),
      testContext("plan", ["package[ghostd]"]),
      testContext("plan", ["command[adduser ghost]"]),
    ]
  ) {
    const [state] = await file.read([s], exec, ctx);
    assert.deepEqual(file.diff(s, state), [yet]);
  }
  // A user of the run makes a group of its name too (useradd's user group).
  const grouped = spec({ path: "/etc/x", content: "x", group: "ghost" });
  const [state] = await file.read(
    [grouped],
    exec,
    testContext("plan", [], { "user:ghost": "user" }),
  );
  assert.deepEqual(file.diff(grouped, state), [{
    field: "group",
    before: "root",
    after: "ghost",
    note: 'group "ghost" does not exist yet',
  }]);
});

Deno.test("file apply names the closest local user or group to one that does not exist", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "x")
    .put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/bin/sh\n")
    .put("/etc/group", "root:x:0:\nadm:x:4:\n");
  const user = await converge(spec({ path: "/etc/x", content: "x", owner: "wwwdata" }), exec);
  assert.deepEqual(user.outcome, {
    ok: false,
    error: 'user "wwwdata" does not exist: did you mean "www-data"?',
  });
  const group = await converge(spec({ path: "/etc/x", content: "x", group: "wheel" }), exec);
  assert.deepEqual(group.outcome, { ok: false, error: 'group "wheel" does not exist' });
});

Deno.test("file apply fails when the parent directory does not exist, naming it", async () => {
  const exec = new RecordingExecutor();
  const { outcome } = await converge(spec({ path: "/opt/app/app.conf", content: "x" }), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: 'parent directory "/opt/app" does not exist: declare it under configure.directories',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("file plan predicts the failure when no directory resource creates the parent", async () => {
  const s = spec({ path: "/opt/app/app.conf", content: "x" });
  const { changes } = await plan(s, new RecordingExecutor());
  assert.deepEqual(changes, [{
    field: "state",
    before: "absent",
    after: "present",
    note: 'parent directory "/opt/app" does not exist and no directory resource creates it',
    blocked: true,
  }, { field: "content", before: null, after: "1 B, 1 line" }]);
});

Deno.test("file plan trusts a directory resource that creates the parent, itself or below", async () => {
  const s = spec({ path: "/opt/app/app.conf", content: "x" });
  for (const claim of ["path:/opt/app", "path:/opt/app/cache"]) {
    const ctx = testContext("plan", [], { [claim]: "directory" });
    const [state] = await file.read([s], new RecordingExecutor(), ctx);
    assert.deepEqual(file.diff(s, state)[0], {
      field: "state",
      before: "absent",
      after: "present",
    });
  }
  const [state] = await file.read(
    [s],
    new RecordingExecutor(),
    testContext("plan", [], { "path:/opt/app": "file", "path:/opt/application": "directory" }),
  );
  assert.equal(file.diff(s, state)[0].blocked, true);
});

Deno.test("the run's directory claims are gathered once, not once for each file whose parent is missing", async () => {
  const claims: Record<string, string> = { "path:/opt/a/b": "directory" };
  const specs = Array.from({ length: 200 }, (_, i) => spec({ path: `/srv/${i}/f`, content: "x" }));
  for (const s of specs) claims[`path:${s.path}`] = "file";
  const ctx = testContext("plan", [], claims);
  let walks = 0;
  const entries = ctx.claims.entries.bind(ctx.claims);
  (ctx.claims as Map<string, string>)[Symbol.iterator] = () => (walks++, entries());
  const states = await file.read(
    [...specs, spec({ path: "/opt/a/f", content: "x" })],
    new RecordingExecutor(),
    ctx,
  );
  assert.equal(walks, 1);
  assert.equal(states.filter((st) => st.orphanOf).length, 200, "the /srv parents are missing");
  assert.equal(states.at(-1)!.orphanOf, undefined, "/opt/a comes with /opt/a/b");
});

Deno.test("file plan does not predict the failure after a package or command changed: it may create the parent", async () => {
  const s = spec({ path: "/etc/nginx/nginx.conf", content: "x" });
  for (const changed of ["package[nginx]", "command[/usr/bin/setup]"]) {
    const [state] = await file.read([s], new RecordingExecutor(), testContext("plan", [changed]));
    assert.deepEqual(file.diff(s, state)[0], {
      field: "state",
      before: "absent",
      after: "present",
    });
  }
  const [state] = await file.read(
    [s],
    new RecordingExecutor(),
    testContext("plan", ["service[nginx]"]),
  );
  assert.equal(file.diff(s, state)[0].blocked, true);
});

Deno.test("file refuses to replace a directory at its path", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", undefined);
  const { changes, outcome } = await converge(spec({ path: "/etc/x", content: "x" }), exec);
  assert.deepEqual(changes, [{
    field: "state",
    before: "directory",
    after: "file",
    note: "a directory is in the way: cm will not replace it",
    blocked: true,
  }]);
  assert.deepEqual(outcome, {
    ok: false,
    error: '"/etc/x" is a directory, not a regular file: remove it or change the path',
  });
  assert.deepEqual(exec.writes, []);
});

Deno.test("file state absent removes the file and does nothing when it is gone", async () => {
  const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", "x");
  const s = spec({ path: "/etc/x", state: "absent" });
  const { changes, outcome } = await converge(s, exec);
  assert.deepEqual(changes, [{ field: "state", before: "present", after: "absent" }]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual(exec.writes, ["remove /etc/x"]);
  assert.deepEqual((await plan(s, exec)).changes, []);
});

Deno.test("file state absent never removes a directory or a special file, and the plan says so", async () => {
  for (const kind of ["directory", "other"] as const) {
    const exec = new RecordingExecutor().put("/etc", undefined).put("/etc/x", undefined, { kind });
    const what = kind === "other" ? "special file" : kind;
    const { changes, outcome } = await converge(spec({ path: "/etc/x", state: "absent" }), exec);
    assert.deepEqual(changes, [{
      field: "state",
      before: what,
      after: "absent",
      note: `a ${what} is at the path: state: absent removes only files and symbolic links`,
      blocked: true,
    }]);
    assert.deepEqual(outcome, {
      ok: false,
      error: `"/etc/x" is a ${what}: state: absent removes only files and symbolic links`,
    });
    assert.deepEqual(exec.writes, []);
  }
});

Deno.test("file read looks up each owner name once per batch", async () => {
  const exec = new RecordingExecutor().put("/d", undefined);
  let lookups = 0;
  const uid = exec.uid.bind(exec);
  exec.uid = (name) => {
    lookups++;
    return uid(name);
  };
  const specs = Array.from(
    { length: 50 },
    (_, i) => spec({ path: `/d/${i}`, content: "x", owner: "www-data" }),
  );
  for (const s of specs) exec.put(s.path, "x", { uid: 33 });
  const states = await file.read(specs, exec, testContext("plan"));
  assert.equal(lookups, 1);
  assert.deepEqual(states.flatMap((st, i) => file.diff(specs[i], st)), []);
});

Deno.test("prepare hashes inline content once, never sensitive content; read uses what it found", async () => {
  const plain = spec({ path: "/a", content: "hello\n" });
  const secret = spec({ path: "/b", content: "pw", sensitive: true });
  const copied = spec({ path: "/c", source: "files/c" }, { sourcePath: "/repo/files/c" });
  await file.prepare!([plain, secret, copied]);
  assert.equal(plain.contentSha256, hash("hello\n"));
  assert.equal(secret.contentSha256, undefined);
  assert.equal(copied.contentSha256, undefined);
  // A prepared digest is taken as it is, not computed again (a catalog run skips the hashing).
  const exec = new RecordingExecutor();
  const prepared = spec({ path: "/d", content: "x" }, { contentSha256: "f".repeat(64) });
  const [state] = await file.read([prepared, secret], exec, testContext("plan"));
  assert.equal(state.wantSha256, "f".repeat(64));
});

// ---- the real file system ----

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "cm-file-test-" });
}

function entries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("file on a real file system creates, then finds nothing to change", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const s = spec({ path: `${dir}/app.conf`, content: "port = 80\n", mode: "0640" });
    const first = await converge(s, exec);
    assert.deepEqual(first.outcome, { ok: true });
    assert.equal(Deno.readTextFileSync(s.path), "port = 80\n");
    assert.equal(Deno.statSync(s.path).mode! & 0o7777, 0o640);
    const again = await plan(s, exec);
    assert.deepEqual(again.changes, []);
    assert.equal(again.state.sha256, hash("port = 80\n"));
    assert.deepEqual(entries(dir), ["app.conf"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system replaces content atomically with a new inode and no leftovers", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const path = `${dir}/app.conf`;
    Deno.writeTextFileSync(path, "old\n", { mode: 0o600 });
    Deno.chmodSync(path, 0o600);
    Deno.chownSync(path, 65534, 65534);
    const inode = Deno.statSync(path).ino;
    const { changes, outcome } = await converge(spec({ path, content: "new\n" }), exec);
    assert.deepEqual(changes.map((c) => c.field), ["content"]);
    assert.deepEqual(outcome, { ok: true });
    const info = Deno.statSync(path);
    assert.equal(Deno.readTextFileSync(path), "new\n");
    assert.notEqual(info.ino, inode, "content is replaced by rename, not rewritten in place");
    assert.deepEqual([info.mode! & 0o7777, info.uid, info.gid], [0o600, 65534, 65534]);
    assert.deepEqual(entries(dir), ["app.conf"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system changes only the mode with chmod, keeping the inode", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const path = `${dir}/x`;
    Deno.writeTextFileSync(path, "same");
    Deno.chmodSync(path, 0o644);
    const inode = Deno.statSync(path).ino;
    const s = spec({ path, content: "same", mode: "0600" });
    const { changes, outcome } = await converge(s, exec);
    assert.deepEqual(changes, [{ field: "mode", before: "0644", after: "0600" }]);
    assert.deepEqual(outcome, { ok: true });
    assert.equal(Deno.statSync(path).ino, inode);
    assert.equal(Deno.statSync(path).mode! & 0o7777, 0o600);
    assert.deepEqual((await plan(s, exec)).changes, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system changes owner and group to nobody:nogroup in place", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const path = `${dir}/x`;
    Deno.writeTextFileSync(path, "same");
    Deno.chownSync(path, 0, 0);
    const inode = Deno.statSync(path).ino;
    const s = spec({ path, content: "same", owner: "nobody", group: "nogroup" });
    const { changes, outcome } = await converge(s, exec);
    assert.deepEqual(changes, [
      { field: "owner", before: "root", after: "nobody" },
      { field: "group", before: "root", after: "nogroup" },
    ]);
    assert.deepEqual(outcome, { ok: true });
    const info = Deno.statSync(path);
    assert.deepEqual([info.ino, info.uid, info.gid], [inode, 65534, 65534]);
    assert.deepEqual((await plan(s, exec)).changes, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system validates with a real command before replacing", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const path = `${dir}/site.conf`;
    Deno.writeTextFileSync(path, "listen 80;\n");
    const good = spec({ path, content: "listen 8080;\n", validate: "grep -q listen %s" });
    assert.deepEqual((await converge(good, exec)).outcome, { ok: true });
    assert.equal(Deno.readTextFileSync(path), "listen 8080;\n");
    assert.deepEqual(entries(dir), ["site.conf"]);

    const bad = spec({
      path,
      content: "garbage\n",
      validate:
        `/bin/sh -c "grep -q listen \\"\\$0\\" || { echo 'no listen in' \\"\\$0\\" >&2; exit 3; }" %s`,
    });
    const { outcome } = await converge(bad, exec);
    assert.equal(outcome.ok, false);
    assert.match(
      (outcome as { error: string }).error,
      /^validate refused the new content: .* exited 3: no listen in .*\/\.cm-validate-[0-9a-f]{8}-site\.conf$/,
    );
    assert.equal(Deno.readTextFileSync(path), "listen 8080;\n", "the old content stays");
    assert.deepEqual(entries(dir), ["site.conf"], "no temporary file is left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system removes a file with state absent", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    const path = `${dir}/x`;
    Deno.writeTextFileSync(path, "bye");
    const s = spec({ path, state: "absent" });
    assert.deepEqual((await converge(s, exec)).outcome, { ok: true });
    assert.deepEqual(entries(dir), []);
    assert.deepEqual((await plan(s, exec)).changes, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system refuses to replace a symbolic link and leaves it", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    Deno.writeTextFileSync(`${dir}/target`, "t");
    Deno.symlinkSync(`${dir}/target`, `${dir}/link`);
    const { changes, outcome } = await converge(
      spec({ path: `${dir}/link`, content: "x" }),
      exec,
    );
    assert.equal(changes[0].before, "symbolic link");
    assert.equal(outcome.ok, false);
    assert.match((outcome as { error: string }).error, /is a symbolic link, not a regular file/);
    assert.equal(Deno.readLinkSync(`${dir}/link`), `${dir}/target`);
    assert.equal(Deno.readTextFileSync(`${dir}/target`), "t");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file on a real file system shows a unified diff of the real old content", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir}/x`;
    Deno.writeTextFileSync(path, "keep\nold\n");
    const s = spec({ path, content: "keep\nnew\n" });
    const { state } = await plan(s, new RealExecutor());
    assert.equal(
      fileDiffText(s, state, true),
      `--- ${path}\n+++ ${path} (cookbook)\n@@ -1,2 +1,2 @@\n keep\n-old\n+new\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file check allows one of content, source, template, and none of them with state: absent", () => {
  assert.deepEqual(file.check!(spec({ path: "/x", content: "a" })), []);
  assert.deepEqual(file.check!(spec({ path: "/x", content: "a", template: "t" })), [{
    field: "template",
    message: "expected only one of content, source, template, got content and template",
  }]);
  assert.deepEqual(file.check!(spec({ path: "/x", source: "s", state: "absent" })), [{
    field: "source",
    message: "expected no source with state: absent (the file is removed)",
    got: "s",
  }]);
  assert.deepEqual(file.claims!(spec({ path: "/etc/motd" })), ["path:/etc/motd"]);
});

Deno.test("file under a dangling link: plan and apply both name the link", async () => {
  const exec = new RecordingExecutor().put("/srv").put("/srv/site", "/gone", { kind: "symlink" });
  const { changes, outcome } = await converge(
    spec({ path: "/srv/site/index.html", content: "x" }),
    exec,
  );
  const named =
    'cannot manage "/srv/site/index.html": "/srv/site" is a dangling symbolic link (to "/gone")';
  assert.deepEqual(changes, [{
    field: "state",
    before: null,
    after: "present",
    note: named,
    blocked: true,
  }]);
  assert.deepEqual(outcome, { ok: false, error: named });
  assert.deepEqual(exec.writes, []);
});

Deno.test("file on a real file system is written through a root-owned parent link, to the real path", async () => {
  const dir = await tempDir();
  try {
    const exec = new RealExecutor();
    Deno.mkdirSync(`${dir}/real`);
    Deno.symlinkSync(`${dir}/real`, `${dir}/link`);
    const { outcome } = await converge(spec({ path: `${dir}/link/f`, content: "x" }), exec);
    assert.deepEqual(outcome, { ok: true });
    assert.equal(Deno.readTextFileSync(`${dir}/real/f`), "x");
    assert.equal(Deno.readLinkSync(`${dir}/link`), `${dir}/real`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file schema refuses a numeric owner or group no id can be (chown would skip or throw)", () => {
  const message = (fields: Record<string, unknown>) =>
    fileSchema.safeParse({ path: "/x", ...fields }).error?.issues[0].message;
  // (uid_t)-1 tells chown to leave the owner: the change would be reported on every run.
  assert.equal(
    message({ owner: "4294967295" }),
    "expected a numeric id from 0 to 4294967294",
  );
  assert.equal(
    message({ group: "99999999999" }),
    "expected a numeric id from 0 to 4294967294",
  );
  assert.equal(message({ owner: "4294967294", group: "0" }), undefined);
});

Deno.test("schemas refuse a NUL byte that would reach a process argument (validate, git repo, user comment)", async () => {
  const { schema: gitSchema } = await import("./git_schema.ts");
  const { schema: userSchema } = await import("./user_schema.ts");
  const expected = "expected no NUL byte (a process argument cannot hold one)";
  const first = (result: { error?: { issues: { message: string }[] } }) =>
    result.error?.issues[0].message;
  assert.equal(first(fileSchema.safeParse({ path: "/x", validate: "cat\0 %s" })), expected);
  assert.equal(
    first(gitSchema.safeParse({ path: "/x", repo: "/srv/a\0b", branch: "main" })),
    expected,
  );
  assert.equal(first(userSchema.safeParse({ name: "app", comment: "a\0b" })), expected);
});
