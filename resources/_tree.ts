/**
 * What is under a directory, walked through a probe without following a
 * link: for `directory` with `state: absent`, which removes it all.
 *
 * @module
 */
import type { Probe } from "../src/exec/executor.ts";
import { formatSize } from "./_content_summary.ts";

/** What a walk found under a directory. */
export interface Tree {
  /** Paths relative to the directory, each parent before what it holds ("a", "a/b"). */
  entries: string[];
  /** How many of them are directories. */
  directories: number;
  /** Bytes of the regular files among them. */
  bytes: number;
  /** Those that are neither file, directory nor link (a socket, a FIFO, a device): no snapshot keeps them. */
  special?: string[];
  /** Set when the walk stopped past a limit: the figures are lower bounds. */
  over?: boolean;
}

/** The most of a tree a snapshot keeps: past either, only the directory itself is recorded. */
export const TREE_SNAPSHOT_LIMIT = { entries: 10_000, bytes: 64 * 1024 * 1024 } as const;

/**
 * Walks the directory `root` (an absolute path) depth first, parents first,
 * links not followed; stops once the entries or bytes pass `limit`.
 */
export function walkTree(
  root: string,
  probe: Probe,
  limit: { entries: number; bytes: number } = TREE_SNAPSHOT_LIMIT,
): Tree {
  const tree: Tree = { entries: [], directories: 0, bytes: 0 };
  const todo = [""];
  while (todo.length) {
    const rel = todo.pop()!;
    const names = probe.listDir(rel ? `${root}/${rel}` : root) ?? [];
    const subdirs: string[] = [];
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const info = probe.stat(`${root}/${path}`);
      if (!info) continue;
      tree.entries.push(path);
      if (info.kind === "directory") {
        tree.directories++;
        subdirs.push(path);
      } else if (info.kind === "file") tree.bytes += info.size;
      else if (info.kind === "other") (tree.special ??= []).push(path);
      if (tree.entries.length > limit.entries || tree.bytes > limit.bytes) {
        return { ...tree, over: true };
      }
    }
    todo.push(...subdirs.reverse());
  }
  return tree;
}

/** "3 files and 1 directory (12 B)"; "more than ..." for a walk that stopped. */
export function treeSummary(tree: Tree): string {
  const files = tree.entries.length - tree.directories;
  const dirs = tree.directories;
  return `${tree.over ? "more than " : ""}${files} file${files === 1 ? "" : "s"} and ${dirs} ${
    dirs === 1 ? "directory" : "directories"
  } (${formatSize(tree.bytes)})`;
}
