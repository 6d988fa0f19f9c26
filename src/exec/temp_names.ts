/**
 * The names of cm's temporary files beside a target, in one place: the
 * executor's write temporaries (`.NAME.cm-XXXXXXXX`) and `validate`'s copies
 * (`.cm-validate-XXXXXXXX-NAME`: ending in the target's name, so validators
 * that look at the extension accept them). NAME is cut to 200 bytes to stay
 * within NAME_MAX. A killed run leaves such files (a sensitive file's hold
 * the secret); the next write of the target removes them ({@link leftoverOf}).
 *
 * @module
 */

function split(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf("/");
  return { dir: path.slice(0, i), name: path.slice(i + 1).slice(0, 200) };
}

function tag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** A fresh write temporary beside `path` (absolute): `/dir/.NAME.cm-XXXXXXXX`. */
export function writeTempPath(path: string): string {
  const { dir, name } = split(path);
  return `${dir}/.${name}.cm-${tag()}`;
}

/** A fresh `validate` copy beside `path` (absolute): `/dir/.cm-validate-XXXXXXXX-NAME`. */
export function validateTempPath(path: string): string {
  const { dir, name } = split(path);
  return `${dir}/.cm-validate-${tag()}-${name}`;
}

/** The name a target's temporaries carry: its last component, cut to 200 bytes. */
export function tempTarget(path: string): string {
  return split(path).name;
}

/** The target name (as {@link tempTarget} cuts it) that `entry` is a temporary of, else `null`. */
export function leftoverOf(entry: string): string | null {
  return entry.match(/^\.cm-validate-[0-9a-f]{8}-(.+)$/)?.[1] ??
    entry.match(/^\.(.+)\.cm-[0-9a-f]{8}$/)?.[1] ?? null;
}
