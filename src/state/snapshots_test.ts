import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { sha256Hex } from "../digest.ts";
import { tempDir } from "../_testing.ts";
import {
  capturePath,
  listSnapshots,
  pruneSnapshots,
  putBlob,
  readBlob,
  readManifest,
  type SnapshotManifest,
  snapshotsDir,
  writeManifest,
} from "./snapshots.ts";

const NOW = new Date("2026-11-30T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const bytes = (text: string) => new TextEncoder().encode(text);
const mode = (path: string) => Deno.statSync(path).mode! & 0o7777;

function withDir(fn: (root: string, dir: string, exec: RealExecutor) => Promise<void> | void) {
  return async () => {
    const root = Deno.makeTempDirSync({ prefix: "cm-snapshots-" });
    try {
      await fn(root, snapshotsDir(`${root}/state`), new RealExecutor());
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  };
}

Deno.test(
  "a blob is stored once by its sha256, 0600 in 0700 directories",
  withDir(async (root, dir, exec) => {
    Deno.mkdirSync(`${root}/state`);
    const sha = await putBlob(exec, dir, bytes("secret=1\n"));
    assert.equal(sha, await sha256Hex(bytes("secret=1\n")));
    assert.equal(await putBlob(exec, dir, bytes("secret=1\n")), sha);
    assert.deepEqual([...Deno.readDirSync(`${dir}/blobs`)].map((e) => e.name), [sha]);
    assert.equal(mode(`${dir}/blobs/${sha}`), 0o600);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(`${dir}/blobs`), 0o700);
    assert.equal(new TextDecoder().decode(readBlob(exec, dir, sha)!), "secret=1\n");
    assert.equal(readBlob(exec, dir, "../../etc/passwd"), null);
  }),
);

Deno.test(
  "capturing records files, absent paths, links and directories as they were",
  withDir(async (root, dir, exec) => {
    Deno.writeTextFileSync(`${root}/app.conf`, "port=80\n", { mode: 0o640 });
    Deno.chmodSync(`${root}/app.conf`, 0o640);
    Deno.symlinkSync("/etc/hostname", `${root}/link`);
    Deno.mkdirSync(`${root}/www`, { mode: 0o2775 });
    Deno.chmodSync(`${root}/www`, 0o2775);
    const file = await capturePath(exec, dir, `${root}/app.conf`, true);
    assert.deepEqual(file, {
      type: "file",
      path: `${root}/app.conf`,
      state: "present",
      sha256: await sha256Hex(bytes("port=80\n")),
      owner: "root",
      group: "root",
      mode: "0640",
      sensitive: true,
    });
    assert.equal(mode(`${dir}/blobs/${await sha256Hex(bytes("port=80\n"))}`), 0o600);
    assert.deepEqual(await capturePath(exec, dir, `${root}/none`), {
      type: "file",
      path: `${root}/none`,
      state: "absent",
    });
    assert.deepEqual(await capturePath(exec, dir, `${root}/link`), {
      type: "link",
      path: `${root}/link`,
      target: "/etc/hostname",
    });
    assert.deepEqual(await capturePath(exec, dir, `${root}/www`), {
      type: "directory",
      path: `${root}/www`,
      state: "present",
      owner: "root",
      group: "root",
      mode: "2775",
    });
  }),
);

function manifest(runId: string, createdAt: string, ...shas: string[]): SnapshotManifest {
  return {
    runId,
    createdAt,
    commit: "abc123",
    resources: [
      ...shas.map((sha256, i) => ({
        id: `file[/etc/f${i}]`,
        kind: "file",
        before: {
          type: "file" as const,
          path: `/etc/f${i}`,
          state: "present" as const,
          sha256,
          owner: "root",
          group: "root",
          mode: "0644",
        },
      })),
      {
        id: "package[nginx]",
        kind: "package",
        before: { type: "package", name: "nginx", version: "1.22.1-9" },
      },
      {
        id: "service[nginx]",
        kind: "service",
        before: { type: "service", name: "nginx", active: true, enabled: true },
      },
      { id: "user[app]", kind: "user", before: { type: "user", name: "app", existed: false } },
    ],
  };
}

Deno.test(
  "a manifest is written 0600 per run and read back; a bad run id is refused",
  withDir(async (_root, dir, exec) => {
    const m = manifest(
      "20261130T120000Z-1",
      NOW.toISOString(),
      await putBlob(exec, dir, bytes("a")),
    );
    writeManifest(exec, dir, m);
    assert.equal(mode(`${dir}/20261130T120000Z-1/manifest.json`), 0o600);
    assert.deepEqual(readManifest(exec, dir, m.runId), m);
    assert.deepEqual(listSnapshots(dir), [m.runId]);
    assert.equal(readManifest(exec, dir, "../x"), null);
    assert.throws(
      () => writeManifest(exec, dir, { ...m, runId: "../../etc" }),
      /not a valid run id/,
    );
  }),
);

Deno.test(
  "a manifest of another shape reads as none and is pruned as garbage, not a crash",
  withDir(async (_root, dir, exec) => {
    const m = manifest(
      "20261130T120000Z-1",
      NOW.toISOString(),
      await putBlob(exec, dir, bytes("a")),
    );
    const wrong = [
      { ...m, resources: [null] },
      { ...m, resources: [{ ...m.resources[0], before: null }] },
      { ...m, resources: [{ ...m.resources[0], before: { type: "paths", paths: 5 } }] },
      { ...m, refreshes: [null] },
      { ...m, cookbooks: ["/srv/a.yaml", 5] },
      { ...m, commit: 5 },
    ];
    for (const value of wrong) {
      Deno.mkdirSync(`${dir}/${m.runId}`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/${m.runId}/manifest.json`, JSON.stringify(value));
      assert.equal(readManifest(exec, dir, m.runId), null, JSON.stringify(value));
      assert.deepEqual(pruneSnapshots(exec, dir, NOW).removed, [m.runId]);
    }
  }),
);

Deno.test(
  "pruning drops snapshots past retention and the blobs only they used",
  withDir(async (_root, dir, exec) => {
    const shared = await putBlob(exec, dir, bytes("shared"));
    const old = await putBlob(exec, dir, bytes("only in the old one"));
    const fresh = await putBlob(exec, dir, bytes("only in the new one"));
    const orphan = await putBlob(exec, dir, bytes("nobody refers to this"));
    writeManifest(exec, dir, manifest("20261001T000000Z-1", daysAgo(31), shared, old));
    writeManifest(exec, dir, manifest("20261129T000000Z-2", daysAgo(1), shared, fresh));
    Deno.mkdirSync(`${dir}/20261130T000000Z-3`);
    const result = pruneSnapshots(exec, dir, NOW);
    assert.deepEqual(result.removed, ["20261001T000000Z-1", "20261130T000000Z-3"]);
    assert.equal(result.blobsRemoved, 2);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/blobs`)].map((e) => e.name).sort(),
      [shared, fresh].sort(),
    );
    assert.deepEqual(listSnapshots(dir), ["20261129T000000Z-2"]);
    assert.ok(!Deno.readDirSync(`${dir}/blobs`).some((e) => e.name === orphan || e.name === old));
  }),
);

Deno.test(
  "the manifest this run wrote is taken as given, not read back, and its blobs are kept",
  withDir(async (_root, dir, exec) => {
    const blob = await putBlob(exec, dir, bytes("before this run"));
    const written = manifest("20261130T120000Z-7", NOW.toISOString(), blob);
    writeManifest(exec, dir, written);
    // What the file says no longer matters: pruning goes by the manifest in memory.
    Deno.writeTextFileSync(`${dir}/${written.runId}/manifest.json`, "{not json");
    const result = pruneSnapshots(exec, dir, NOW, {}, written);
    assert.deepEqual(result, { removed: [], blobsRemoved: 0, bytes: result.bytes });
    assert.deepEqual(listSnapshots(dir), [written.runId]);
    assert.equal(pruneSnapshots(exec, dir, NOW).removed[0], written.runId, "read back: garbage");
  }),
);

Deno.test(
  "past the size cap the oldest snapshots go first, never the newest",
  withDir(async (_root, dir, exec) => {
    const big = (n: number) => putBlob(exec, dir, new Uint8Array(10_000).fill(n));
    const ids = [
      "20261126T000000Z-1",
      "20261127T000000Z-1",
      "20261128T000000Z-1",
      "20261129T000000Z-1",
    ];
    const blobs = await Promise.all(ids.map((_, i) => big(i)));
    ids.forEach((id, i) => writeManifest(exec, dir, manifest(id, daysAgo(4 - i), blobs[i])));
    const result = pruneSnapshots(exec, dir, NOW, { maxBytes: 25_000 });
    assert.deepEqual(result.removed, ids.slice(0, 2));
    assert.equal(result.blobsRemoved, 2);
    assert.ok(result.bytes <= 25_000 && result.bytes > 20_000, String(result.bytes));
    const tiny = pruneSnapshots(exec, dir, NOW, { maxBytes: 1 });
    assert.deepEqual(tiny.removed, [ids[2]]);
    assert.deepEqual(listSnapshots(dir), [ids[3]]);
    assert.deepEqual(pruneSnapshots(exec, `${dir}/missing`, NOW), {
      removed: [],
      blobsRemoved: 0,
      bytes: 0,
    });
  }),
);

Deno.test(
  "pruning keeps the blobs a record of several paths refers to",
  withDir(async (_root, dir, exec) => {
    const keyring = await putBlob(exec, dir, bytes("keyring"));
    const m = manifest("20261129T000000Z-2", daysAgo(1));
    m.resources.push({
      id: "apt_repository[sury]",
      kind: "apt_repository",
      before: {
        type: "paths",
        paths: [
          { type: "file", path: "/etc/apt/sources.list.d/sury.sources", state: "absent" },
          {
            type: "file",
            path: "/etc/apt/keyrings/sury.gpg",
            state: "present",
            sha256: keyring,
            owner: "root",
            group: "root",
            mode: "0644",
          },
        ],
      },
    });
    writeManifest(exec, dir, m);
    assert.equal(pruneSnapshots(exec, dir, NOW).blobsRemoved, 0);
    assert.deepEqual([...Deno.readDirSync(`${dir}/blobs`)].map((e) => e.name), [keyring]);
  }),
);

Deno.test("snapshots list in the order their runs were given out: X.10 after X.9", async () => {
  await using dir = await tempDir();
  const ids = ["20261201T035000Z-7", "20261201T035000Z-7.2", "20261201T035000Z-7.10"];
  for (const id of ids) Deno.mkdirSync(`${dir.path}/${id}`);
  assert.deepEqual(listSnapshots(dir.path), ids);
});
