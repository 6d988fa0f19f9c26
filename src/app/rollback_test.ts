import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { RecordingExecutor } from "../exec/recording.ts";
import { file } from "../../resources/file.ts";
import { directory } from "../../resources/directory.ts";
import { testContext } from "../../resources/_testing.ts";
import { snapshotsDir, snapshotStore } from "../state/snapshots.ts";
import { readState } from "../state/store.ts";
import { statePaths } from "../state/paths.ts";
import { converge } from "./converge.ts";
import { rollback } from "./rollback.ts";

const exec = new RealExecutor();
const mode = (path: string) => Deno.statSync(path).mode! & 0o7777;

async function tempDir() {
  const dir = await Deno.makeTempDir({ prefix: "cm-rollback-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/** Snapshots `path` as `kind` would, lets `change` run, restores; the restore's outcome. */
async function roundTrip(
  dir: string,
  kind: typeof file | typeof directory,
  path: string,
  change: () => void,
) {
  const store = snapshotStore(exec, snapshotsDir(dir));
  Deno.mkdirSync(snapshotsDir(dir), { recursive: true });
  // deno-lint-ignore no-explicit-any
  const before = await kind.snapshot!({ path } as any, undefined as never, store);
  change();
  return await kind.restore!(before, exec, store, testContext());
}

Deno.test("a file's content, mode and absence come back; a mode-only change too", async () => {
  await using t = await tempDir();
  const conf = `${t.dir}/app.conf`;
  Deno.writeTextFileSync(conf, "port=80\n");
  Deno.chmodSync(conf, 0o640);
  const outcome = await roundTrip(t.dir, file, conf, () => {
    Deno.writeTextFileSync(conf, "port=oops\n");
    Deno.chmodSync(conf, 0o666);
  });
  assert.deepEqual(outcome, { ok: true });
  assert.equal(Deno.readTextFileSync(conf), "port=80\n");
  assert.equal(mode(conf), 0o640);
  await roundTrip(t.dir, file, conf, () => Deno.chmodSync(conf, 0o600));
  assert.equal(mode(conf), 0o640);
  const fresh = `${t.dir}/new.conf`;
  await roundTrip(t.dir, file, fresh, () => Deno.writeTextFileSync(fresh, "x"));
  assert.equal(exec.stat(fresh), null);
});

Deno.test("a link comes back to its old target; a directory that did not exist is removed", async () => {
  await using t = await tempDir();
  const link = `${t.dir}/current`;
  Deno.symlinkSync("/etc/hostname", link);
  await roundTrip(t.dir, file, link, () => {
    Deno.removeSync(link);
    Deno.symlinkSync("/etc/hosts", link);
  });
  assert.equal(Deno.readLinkSync(link), "/etc/hostname");
  const www = `${t.dir}/www`;
  await roundTrip(t.dir, directory, www, () => Deno.mkdirSync(www));
  assert.equal(exec.stat(www), null);
  Deno.mkdirSync(www, { mode: 0o750 });
  Deno.chmodSync(www, 0o750);
  await roundTrip(t.dir, directory, www, () => Deno.chmodSync(www, 0o777));
  assert.equal(mode(www), 0o750);
});

Deno.test("health failing after an apply rolls the run back and says so in the report", async () => {
  await using t = await tempDir();
  const target = `${t.dir}/site.conf`;
  Deno.writeTextFileSync(target, "good\n");
  const book = `${t.dir}/book.yaml`;
  Deno.writeTextFileSync(
    book,
    `configure:\n  files:\n    - path: ${target}\n      content: "bad\\n"\n` +
      `health:\n  - command: [grep, -q, good, ${target}]\n    retries: 0\n`,
  );
  const paths = statePaths(`${t.dir}/state`);
  const seen: string[] = [];
  const report = await converge([book], exec, {
    mode: "apply",
    stateDir: paths.dir,
    lock: "take",
    events: {
      health: (h) => seen.push(`health ${h.ok}`),
      rollback: (r) => seen.push(`rb ${r.ok}`),
    },
  });
  assert.equal(Deno.readTextFileSync(target), "good\n");
  assert.equal(report.result, "failed");
  assert.equal(report.health?.ok, false);
  assert.equal(report.rollback?.ok, true);
  assert.deepEqual(report.rollback?.restored, [{ id: `file[${target}]`, ok: true }]);
  assert.deepEqual(seen, ["health false", "rb true"]);
  assert.equal(readState(exec, paths).lastRun?.id, report.id);
  Deno.writeTextFileSync(
    book,
    Deno.readTextFileSync(book).replace("health:", "rollback: off\nhealth:"),
  );
  const kept = await converge([book], exec, { mode: "apply", stateDir: paths.dir, lock: "take" });
  assert.equal(kept.health?.ok, false);
  assert.equal(kept.rollback, undefined);
  assert.equal(Deno.readTextFileSync(target), "bad\n");
});

Deno.test("cm apply checks a rollback with the checks the cookbook had before, not one the change added", async () => {
  await using t = await tempDir();
  const target = `${t.dir}/site.conf`;
  const book = `${t.dir}/book.yaml`;
  const check = (word: string) => `  - command: [grep, -q, ${word}, ${target}]\n    retries: 0\n`;
  const cookbook = (content: string, checks: string) =>
    `configure:\n  files:\n    - path: ${target}\n      content: "${content}\\n"\nhealth:\n${checks}`;
  const apply = () =>
    converge([book], exec, { mode: "apply", stateDir: `${t.dir}/state`, lock: "take" });
  Deno.writeTextFileSync(book, cookbook("good", check("good")));
  assert.equal((await apply()).health?.ok, true);
  // The new feature and its check arrive together; the feature is broken.
  Deno.writeTextFileSync(book, cookbook("good v2", check("good") + check("feature")));
  const report = await apply();
  assert.equal(report.health?.ok, false);
  assert.equal(Deno.readTextFileSync(target), "good\n");
  assert.equal(report.rollback?.ok, true, JSON.stringify(report.rollback));
  assert.deepEqual(report.rollback?.health.checks.map((c) => c.id), [
    `command[grep -q good ${target}]`,
  ]);
  // The next attempt is broken too: the rolled-back cookbook's checks are not "the checks before".
  Deno.writeTextFileSync(book, cookbook("good v3", check("good") + check("feature")));
  const again = await apply();
  assert.equal(again.rollback?.ok, true, JSON.stringify(again.rollback));
  assert.deepEqual(again.rollback?.health.checks.map((c) => c.id), [
    `command[grep -q good ${target}]`,
  ]);
});

Deno.test("a snapshot entry of a kind cm does not know fails alone, by name; the rest comes back", async () => {
  await using t = await tempDir();
  const conf = `${t.dir}/new.conf`;
  Deno.writeTextFileSync(conf, "x");
  const record = await rollback(
    {
      runId: "20261201T000457Z-1",
      createdAt: "2026-12-01T00:04:57.000Z",
      resources: [
        {
          id: `file[${conf}]`,
          kind: "file",
          before: { type: "file", path: conf, state: "absent" },
        },
        { id: "frob[x]", kind: "frob", before: { type: "frob" } },
      ],
      refreshes: [],
    } as never,
    exec,
    { stateDir: t.dir, health: [] },
  );
  assert.deepEqual(record.restored, [
    { id: "frob[x]", ok: false, error: 'cannot restore: kind "frob" is not a kind cm knows' },
    { id: `file[${conf}]`, ok: true },
  ]);
  assert.equal(record.ok, false);
  assert.equal(exec.stat(conf), null);
});

Deno.test("a rollback puts apt repositories back first: a package comes back from the repository it was removed with", async () => {
  await using t = await tempDir();
  // The run removed the repository, then purged the package that came from it.
  const machine = new RecordingExecutor();
  const repoBack = () => machine.calls.some((argv) => argv.includes("update"));
  machine.on(["apt-cache", "policy"], () => ({
    stdout: `walk5-tool:\n  Installed: (none)\n  Candidate: ${repoBack() ? "1.1-1" : "(none)"}\n` +
      (repoBack() ? "  Version table:\n     1.1-1 500\n        500 http://r ./ Packages\n" : ""),
  }));
  const absent = (path: string) => ({ type: "file", path, state: "absent" });
  const record = await rollback(
    {
      runId: "20261201T055035Z-2560",
      createdAt: "2026-12-01T05:50:35.000Z",
      resources: [
        {
          id: "apt_repository[walk5]",
          kind: "apt_repository",
          before: {
            type: "paths",
            paths: [
              absent("/etc/apt/sources.list.d/walk5.sources"),
              absent("/etc/apt/keyrings/walk5.gpg"),
            ],
          },
        },
        {
          id: "package[walk5-tool]",
          kind: "package",
          before: { type: "package", name: "walk5-tool", version: "1.1-1" },
        },
      ],
      refreshes: [],
    } as never,
    machine,
    { stateDir: t.dir, health: [] },
  );
  assert.deepEqual(record.restored, [
    { id: "apt_repository[walk5]", ok: true },
    { id: "package[walk5-tool]", ok: true },
  ]);
});
