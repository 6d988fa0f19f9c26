/**
 * Where root may write: the directory that holds a managed path, resolved
 * once and checked component by component, so a user who owns a directory on
 * the way (`/home/alice/.ssh`) cannot redirect root's writes elsewhere.
 *
 * The rule is systemd's, as systemd-tmpfiles applies it through chase() with
 * CHASE_SAFE (src/basic/chase.c, `unsafe_transition()`): walking from `/`,
 * each step from a directory or symbolic link A to the next component B (a
 * child, a link's target, or `..`) is an "unsafe path transition" when A is
 * owned by a non-root user and B by a different user. Transitions from root
 * are always fine, so root-owned links such as `/var/www → /srv/www` are
 * followed, while a link owned by alice pointing into `/etc` is refused.
 * cm adds one rule of its own: a directory on the way that anyone may write
 * to without the sticky bit (o+w, no +t) is refused too, since anyone could
 * swap its entries.
 *
 * @module
 */
import { basename, dirname } from "../src/posix_path.ts";
import type { PathInfo, Probe } from "../src/exec/executor.ts";

/** Links followed at most while resolving, like the kernel's and systemd's CHASE_MAX. */
const MAX_LINKS = 32;

/** The resolved directory, or why root must not write under it. */
export type Chased = { real: string } | { error: string };

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

function up(dir: string): string {
  return dir.slice(0, dir.lastIndexOf("/")) || "/";
}

/**
 * Resolves `dir` (absolute) to its real path, following links, checking each
 * transition by the rule above. A missing component ends the walk: the rest
 * is returned as written (nothing there to check yet), unless a link led
 * there, which is reported as dangling.
 */
export function chaseDirectory(dir: string, probe: Probe): Chased {
  const todo = dir.split("/").filter((part) => part && part !== ".");
  let real = "/";
  const root: PathInfo = { kind: "directory", size: 0, mode: 0o755, uid: 0, gid: 0, mtimeMs: 0 };
  let previous = { path: "/", info: probe.stat("/") ?? root };
  // The last link followed, and how many components remained after its target's.
  let lastLink: { path: string; target: string; rest: number } | undefined;
  let links = 0;
  const unsafe = (path: string, info: PathInfo): string | undefined => {
    if (previous.info.uid === 0 || previous.info.uid === info.uid) return undefined;
    return `unsafe path transition from "${previous.path}" (owned by ${
      probe.userName(previous.info.uid)
    }) to "${path}" (owned by ${probe.userName(info.uid)})`;
  };
  while (todo.length) {
    const name = todo.shift()!;
    const path = name === ".." ? up(real) : join(real, name);
    const info = probe.stat(path);
    if (!info) {
      if (lastLink && todo.length >= lastLink.rest) {
        return {
          error: `"${lastLink.path}" is a dangling symbolic link (to "${lastLink.target}")`,
        };
      }
      return { real: [path, ...todo].reduce((a, b) => b === ".." ? up(a) : join(a, b)) };
    }
    const refused = unsafe(path, info);
    if (refused) return { error: refused };
    if (info.kind === "symlink") {
      if (++links > MAX_LINKS) return { error: `"${dir}": too many levels of symbolic links` };
      const target = probe.readLink(path) ?? "";
      lastLink = { path, target, rest: todo.length };
      if (target.startsWith("/")) real = "/";
      todo.unshift(...target.split("/").filter((part) => part && part !== "."));
    } else if (info.kind !== "directory") {
      return {
        error: `"${path}" is a ${info.kind === "file" ? "file" : info.kind}, not a directory`,
      };
    } else if ((info.mode & 0o002) && !(info.mode & 0o1000)) {
      return {
        error: `"${path}" is writable by anyone (mode ${info.mode.toString(8)}, no sticky bit)`,
      };
    } else real = path;
    previous = { path, info };
  }
  return { real };
}

/** {@link chaseDirectory} on `probe`, remembering each directory's answer (for one batch). */
export function chaser(probe: Probe): (dir: string) => Chased {
  const seen = new Map<string, Chased>();
  return (dir) => {
    if (!seen.has(dir)) seen.set(dir, chaseDirectory(dir, probe));
    return seen.get(dir)!;
  };
}

/**
 * The managed `path` under its parent's real path (the last component itself
 * is not followed), or why root must not write there: `cannot manage "PATH": ...`.
 */
export function resolveManaged(
  path: string,
  chase: (dir: string) => Chased,
): { path: string } | { error: string } {
  const chased = chase(dirname(path));
  if ("error" in chased) return { error: `cannot manage "${path}": ${chased.error}` };
  return { path: `${chased.real === "/" ? "" : chased.real}/${basename(path)}` };
}
