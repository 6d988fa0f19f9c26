/**
 * The workloads of bench/compare.ts as plain data: what the machine should
 * look like (files, packages, guarded commands), what is done to the machine
 * before each run, and which floor it is measured against. Every tool is
 * given the same data and manages the same paths.
 *
 * @module
 */
import { contentOf } from "../_cookbook.ts";

/** One managed file: exact bytes every tool must write (mode 0644, root-owned). */
export interface DesiredFile {
  path: string;
  content: string;
}

/** What every tool is asked to converge to. */
export interface Desired {
  files: DesiredFile[];
  /** Debian packages, all installed on this machine. */
  packages: string[];
  /** `touch MARKER` unless `test -e MARKER`: the markers exist, so nothing runs. */
  markers: string[];
}

/** What the least possible work for the same result is (bench/floor.ts or an empty program). */
export type Floor = "empty program" | "read" | "write" | "dpkg-query";

export interface Workload {
  id: string;
  label: string;
  /** Resources managed. */
  size: number;
  desired: Desired;
  /** Before every run: remove the files (first converge), change 10 of them, or nothing. */
  before: "absent" | "drift" | "none";
  /** Whether a run must report no change (checked on every run of every tool). */
  noop: boolean;
  floor?: Floor;
  /** The tool's median there, times `factor`, estimates this workload (to skip the hopeless). */
  estimate?: { from: string; factor: number };
}

/** How many files a drift run changes. */
export const DRIFTED = 10;

/** The workload ids, in the order they run. */
export const WORKLOAD_IDS = [
  "startup",
  "files-1000-first",
  "files-1000-noop",
  "files-1000-drift",
  "files-10000-noop",
  "files-10000-first",
  "packages-20-noop",
  "commands-50-noop",
] as const;

/** Sizes of the workloads; `quick` shrinks them for a smoke run. */
export interface Sizes {
  files: number;
  manyFiles: number;
  packages: number;
  commands: number;
}

export const FULL: Sizes = { files: 1000, manyFiles: 10000, packages: 20, commands: 50 };
export const QUICK: Sizes = { files: 20, manyFiles: 100, packages: 3, commands: 5 };

const none: Desired = { files: [], packages: [], markers: [] };

function files(dir: string, n: number): DesiredFile[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `${dir}/tree/d${String(Math.floor(i / 100)).padStart(3, "0")}/f${i}.conf`,
    content: contentOf(i, 256).join("\n") + "\n",
  }));
}

/** Every workload, each with its own directory under `root` for the paths it manages. */
export function workloads(root: string, sizes: Sizes, packages: string[]): Workload[] {
  const n = (count: number) => count.toLocaleString("en-US");
  const dir = (id: string) => `${root}/${id}`;
  const filesOf = (id: string, count: number) => ({ ...none, files: files(dir(id), count) });
  const all: Workload[] = [
    {
      id: "startup",
      label: "startup: empty cookbook",
      size: 0,
      desired: none,
      before: "none",
      noop: true,
      floor: "empty program",
    },
    {
      id: "files-1000-first",
      label: `${n(sizes.files)} files: first converge`,
      size: sizes.files,
      desired: filesOf("files-1000-first", sizes.files),
      before: "absent",
      noop: false,
      floor: "write",
    },
    {
      id: "files-1000-noop",
      label: `${n(sizes.files)} files: no-op`,
      size: sizes.files,
      desired: filesOf("files-1000-noop", sizes.files),
      before: "none",
      noop: true,
      floor: "read",
    },
    {
      id: "files-1000-drift",
      label: `${n(sizes.files)} files: ${DRIFTED} drifted`,
      size: sizes.files,
      desired: filesOf("files-1000-drift", sizes.files),
      before: "drift",
      noop: false,
    },
    {
      id: "files-10000-noop",
      label: `${n(sizes.manyFiles)} files: no-op`,
      size: sizes.manyFiles,
      desired: filesOf("files-10000-noop", sizes.manyFiles),
      before: "none",
      noop: true,
      floor: "read",
      estimate: { from: "files-1000-noop", factor: sizes.manyFiles / sizes.files },
    },
    {
      id: "files-10000-first",
      label: `${n(sizes.manyFiles)} files: first converge`,
      size: sizes.manyFiles,
      desired: filesOf("files-10000-first", sizes.manyFiles),
      before: "absent",
      noop: false,
      floor: "write",
      estimate: { from: "files-1000-first", factor: sizes.manyFiles / sizes.files },
    },
    {
      id: "packages-20-noop",
      label: `${n(packages.length)} installed packages: no-op`,
      size: packages.length,
      desired: { ...none, packages },
      before: "none",
      noop: true,
      floor: "dpkg-query",
    },
    {
      id: "commands-50-noop",
      label: `${n(sizes.commands)} guarded commands: no-op`,
      size: sizes.commands,
      desired: {
        ...none,
        markers: Array.from(
          { length: sizes.commands },
          (_, i) => `${dir("commands-50-noop")}/markers/m${i}`,
        ),
      },
      before: "none",
      noop: true,
    },
  ];
  return all;
}

function parents(paths: string[]): string[] {
  return [...new Set(paths.map((p) => p.slice(0, p.lastIndexOf("/"))))];
}

/**
 * Lays out the machine for `w` once: the (unmanaged) directories, the
 * command markers, and the files themselves unless the workload starts each
 * run without them.
 */
export function prepare(w: Workload): void {
  const { files, markers } = w.desired;
  for (const d of parents([...files.map((f) => f.path), ...markers])) {
    Deno.mkdirSync(d, { recursive: true });
  }
  for (const m of markers) Deno.writeFileSync(m, new Uint8Array());
  if (w.before !== "absent") writeAll(files);
}

function writeAll(files: DesiredFile[]): void {
  for (const f of files) {
    Deno.writeTextFileSync(f.path, f.content);
    Deno.chmodSync(f.path, 0o644);
  }
}

function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Puts the machine where a run of `w` starts: files removed, or 10 of them changed. */
export function beforeRun(w: Workload): void {
  const { files } = w.desired;
  if (w.before === "absent") {
    for (const f of files) removeIfThere(f.path);
  } else if (w.before === "drift") {
    const step = Math.max(1, Math.floor(files.length / DRIFTED));
    for (let i = 0; i < files.length && i / step < DRIFTED; i += step) {
      Deno.writeTextFileSync(files[i].path, "drifted\n", { append: true });
    }
  }
}
