/**
 * `dirname` and `basename` of POSIX paths, exactly as node:path's posix
 * versions (without the suffix argument), so that resources need not load
 * Node's compatibility layer to split a path; `normalize` of absolute paths.
 *
 * @module
 */

/** The path up to its last component: `/etc` for `/etc/hosts/`, `/` for `/etc`, `.` for `a`. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const trimmed = trimTrailingSlashes(path);
  const slash = trimmed.lastIndexOf("/");
  if (slash <= 0) return slash === 0 || path[0] === "/" ? "/" : ".";
  // Node keeps a doubled slash after the root ("//a" → "//") but trims no other run.
  return slash === 1 && path[0] === "/" ? "//" : trimmed.slice(0, slash);
}

/** The last component of `path`, trailing slashes ignored: `hosts` for `/etc/hosts/`, `` for `/`. */
export function basename(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  return trimmed === "/" ? "" : trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** The absolute `path` with `.`, `..` and empty components resolved as written (no links followed). */
export function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part && part !== ".") parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Why the directory `path` must never be removed whole: not absolute and
 * normalised (no `.`, `..` or empty component), or `/` or a top-level
 * directory (`/etc`, `/home`); `undefined` when it may be.
 */
export function unremovableTree(path: string): string | undefined {
  const parts = path.split("/").slice(1);
  if (!path.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    return `refusing to remove "${path}" whole: not a normalised absolute path`;
  }
  if (parts.length < 2) return `refusing to remove "${path}" whole: / or a top-level directory`;
  return undefined;
}

/** `path` without trailing slashes, but never shorter than its first character. */
function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}
