/**
 * `dirname` and `basename` of POSIX paths, exactly as node:path's posix
 * versions (without the suffix argument), so that resources need not load
 * Node's compatibility layer to split a path.
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

/** `path` without trailing slashes, but never shorter than its first character. */
function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}
