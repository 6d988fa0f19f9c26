/**
 * What a run is about to change, recorded before it changes it, so that a
 * rollback can put it back. Under `STATE/snapshots/`:
 *
 * - `blobs/<sha256>`: file contents, content-addressed (stored once however
 *   many runs saw them), mode 0600 whatever the file's own mode, so sensitive
 *   content stays as private as the state directory;
 * - `<run-id>/manifest.json`: per resource, what it was before
 *   ({@link Before}).
 *
 * {@link pruneSnapshots} removes snapshots past the retention (30 days by
 * default) and, past a size cap, the oldest ones but the newest, then the
 * blobs no remaining manifest refers to.
 *
 * @module
 */
import { onStatePath } from "./_os_error.ts";
import { compareRunIds, isRunIdName } from "./paths.ts";
import { manifestProblem } from "./shapes.ts";
import { sha256Hex } from "../digest.ts";
import type { Executor, Probe } from "../exec/executor.ts";
import type { Before, SnapshotStore } from "../../resources/snapshot.ts";
import { jsonChunks } from "../exec/json_chunks.ts";

export type { Before };

/** How long snapshots are kept, and how much space they may take. */
export const SNAPSHOT_RETENTION = { days: 30, maxBytes: 200 * 1024 * 1024 } as const;

/** One run's snapshot. */
export interface SnapshotManifest {
  runId: string;
  /** ISO 8601. */
  createdAt: string;
  commit?: string;
  /**
   * The cookbooks the run applied, as its report names them: the report
   * written for a run that was killed before it recorded itself names them too.
   */
  cookbooks?: string[];
  /** Each resource the run was about to change, by id and kind, in the order changed. */
  resources: { id: string; kind: string; before: Before }[];
  /**
   * The handlers the run ran (restart or reload of a service because of a
   * change), and the restarts of `state: restarted`: run again after a
   * restore so the service picks the old files up.
   */
  refreshes?: {
    id: string;
    kind: string;
    /** The service's spec as the cookbook had it (no secrets: services have none). */
    // deno-lint-ignore no-explicit-any
    spec: any;
    action: "restart" | "reload" | "run";
    triggeredBy: string[];
  }[];
}

/** The {@link SnapshotStore} of the snapshots under `dir`. */
export function snapshotStore(exec: Executor, dir: string): SnapshotStore {
  return {
    capture: (path, sensitive) => capturePath(exec, dir, path, sensitive),
    content: (sha256) => readBlob(exec, dir, sha256),
  };
}

/** Where snapshots live under a state directory. */
export function snapshotsDir(stateDir: string): string {
  return `${stateDir}/snapshots`;
}

function ensureDir(exec: Executor, path: string): void {
  if (!exec.stat(path)) exec.mkdir(path, { mode: 0o700 });
}

/** Stores `data` once under `blobs/` (0600) and returns its sha256. */
export async function putBlob(exec: Executor, dir: string, data: Uint8Array): Promise<string> {
  const sha = await sha256Hex(data);
  const path = `${dir}/blobs/${sha}`;
  if (exec.stat(path)?.kind === "file") return sha;
  ensureDir(exec, dir);
  ensureDir(exec, `${dir}/blobs`);
  exec.writeFile(path, data, { mode: 0o600 });
  return sha;
}

/** The content stored under `sha`, or `null` when it is not there. */
export function readBlob(probe: Probe, dir: string, sha: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(sha)) return null;
  return probe.readFile(`${dir}/blobs/${sha}`);
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}

/**
 * Records `path` as it is now: a file's content goes to a blob; a link's
 * target is recorded as written (readlink). Throws when
 * `path` is something else (a socket, a device).
 */
export async function capturePath(
  exec: Executor,
  dir: string,
  path: string,
  sensitive = false,
): Promise<Before> {
  const info = exec.stat(path);
  if (!info) return { type: "file", path, state: "absent" };
  if (info.kind === "symlink") return { type: "link", path, target: exec.readLink(path) };
  if (info.kind === "other") {
    throw new Error(`cannot snapshot "${path}": not a file, directory or link`);
  }
  const attrs = {
    owner: exec.userName(info.uid),
    group: exec.groupName(info.gid),
    mode: octal(info.mode),
    ...(sensitive ? { sensitive } : {}),
  };
  if (info.kind === "directory") return { type: "directory", path, state: "present", ...attrs };
  const data = exec.readFile(path);
  if (!data) return { type: "file", path, state: "absent" };
  return { type: "file", path, state: "present", sha256: await putBlob(exec, dir, data), ...attrs };
}

/** Writes a run's manifest (0600, atomically) after its blobs. */
export function writeManifest(exec: Executor, dir: string, manifest: SnapshotManifest): void {
  if (!isRunIdName(manifest.runId)) {
    throw new Error(`cannot snapshot run "${manifest.runId}": not a valid run id`);
  }
  const path = `${dir}/${manifest.runId}/manifest.json`;
  onStatePath("write snapshot manifest", path, () => {
    ensureDir(exec, dir);
    ensureDir(exec, `${dir}/${manifest.runId}`);
    exec.writeFile(path, jsonChunks(manifest, 1), { mode: 0o600 });
  });
}

/** A run's manifest; `null` when there is none, it cannot be parsed or is not shaped as cm writes it. */
export function readManifest(probe: Probe, dir: string, runId: string): SnapshotManifest | null {
  if (!isRunIdName(runId)) return null;
  const text = probe.readText(`${dir}/${runId}/manifest.json`);
  if (text === null) return null;
  try {
    const value = JSON.parse(text);
    return manifestProblem(value) ? null : value;
  } catch {
    return null;
  }
}

function entries(path: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(path)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The run ids with a snapshot directory, oldest first (see {@link compareRunIds}). */
export function listSnapshots(dir: string): string[] {
  return entries(dir).filter((e) => e.isDirectory && e.name !== "blobs").map((e) => e.name)
    .sort(compareRunIds);
}

/** The blobs one record refers to, those of the paths it groups included. */
function shasOf(before: Before): string[] {
  if (before.type === "paths") return before.paths.flatMap(shasOf);
  return "sha256" in before && before.sha256 ? [before.sha256] : [];
}

/** The distinct blobs a manifest refers to. */
function blobsOf(manifest: SnapshotManifest): string[] {
  return [...new Set(manifest.resources.flatMap(({ before }) => shasOf(before)))];
}

/** What {@link pruneSnapshots} removed and what is left. */
export interface PruneResult {
  removed: string[];
  blobsRemoved: number;
  /** Bytes of blobs and manifests left. */
  bytes: number;
}

function removeSnapshot(exec: Executor, dir: string, runId: string): void {
  for (const e of entries(`${dir}/${runId}`)) exec.remove(`${dir}/${runId}/${e.name}`);
  exec.remove(`${dir}/${runId}`);
}

/**
 * Removes snapshots older than `days` (by `createdAt`; a directory without a
 * readable manifest counts as garbage) and then, while blobs and manifests
 * take more than `maxBytes`, the oldest snapshot but the newest one; then
 * every blob no remaining manifest refers to. Call it under the run lock.
 * `written`, the manifest this run just wrote, is taken as it is instead of
 * read back (a first converge of 10,000 files: 1 MiB of JSON parsed again).
 */
export function pruneSnapshots(
  exec: Executor,
  dir: string,
  now: Date,
  limits: { days?: number; maxBytes?: number } = {},
  written?: SnapshotManifest,
): PruneResult {
  const days = limits.days ?? SNAPSHOT_RETENTION.days;
  const maxBytes = limits.maxBytes ?? SNAPSHOT_RETENTION.maxBytes;
  const cutoff = now.getTime() - days * 86_400_000;
  const removed: string[] = [];
  const kept: { id: string; blobs: string[]; size: number }[] = [];
  for (const id of listSnapshots(dir)) {
    const manifest = id === written?.runId ? written : readManifest(exec, dir, id);
    if (manifest && !(Date.parse(manifest.createdAt) < cutoff)) {
      const size = exec.stat(`${dir}/${id}/manifest.json`)?.size ?? 0;
      kept.push({ id, blobs: blobsOf(manifest), size });
      continue;
    }
    removeSnapshot(exec, dir, id);
    removed.push(id);
  }
  const blobSize = new Map(
    entries(`${dir}/blobs`).filter((e) => e.isFile)
      .map((e) => [e.name, exec.stat(`${dir}/blobs/${e.name}`)?.size ?? 0]),
  );
  const refs = new Map<string, number>();
  let bytes = 0;
  for (const k of kept) {
    bytes += k.size;
    for (const blob of k.blobs) {
      if (!refs.has(blob)) bytes += blobSize.get(blob) ?? 0;
      refs.set(blob, (refs.get(blob) ?? 0) + 1);
    }
  }
  while (kept.length > 1 && bytes > maxBytes) {
    const oldest = kept.shift()!;
    removeSnapshot(exec, dir, oldest.id);
    removed.push(oldest.id);
    bytes -= oldest.size;
    for (const blob of oldest.blobs) {
      const left = refs.get(blob)! - 1;
      if (left > 0) {
        refs.set(blob, left);
        continue;
      }
      refs.delete(blob);
      bytes -= blobSize.get(blob) ?? 0;
    }
  }
  let blobsRemoved = 0;
  for (const name of blobSize.keys()) {
    if (refs.has(name)) continue;
    exec.remove(`${dir}/blobs/${name}`);
    blobsRemoved++;
  }
  return { removed, blobsRemoved, bytes };
}
