/**
 * `cm disable`'s marker (Puppet's `puppet agent --disable "reason"`): while
 * `disabled.json` is in the state directory, `cm sync` (the timer's runs
 * too), `cm apply` and `cm watch`'s repairs change nothing and exit 7;
 * `cm enable` removes it. Its presence is what counts: a marker that cannot
 * be read (edited by hand, a directory, a link) still disables, and says so
 * in place of the reason.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";
import { DisabledError, errorMessage } from "../errors.ts";
import type { StatePaths } from "./paths.ts";
import { humanTime } from "../text.ts";

/** Who disabled cm, when and why. */
export interface DisabledMark {
  /** The operator's words ("migrating the database, ask alice"); may be empty. */
  reason: string;
  /** Who: the login user, and the user cm ran as when they differ ("alice (as root)"). */
  by: string;
  /** When (ISO time). */
  at: string;
}

/** A marker that is there but cannot be read: it disables all the same. */
function unreadable(path: string, why: string): DisabledMark {
  return { reason: `(the marker ${path} cannot be read: ${why})`, by: "unknown", at: "unknown" };
}

/** The fields of `value` when it is shaped as {@link writeDisabled} writes it. */
function markOf(value: unknown): DisabledMark | null {
  if (typeof value !== "object" || value === null) return null;
  const { reason, by, at } = value as Record<string, unknown>;
  const text = [reason, by, at].every((v) => typeof v === "string");
  return text ? { reason, by, at } as DisabledMark : null;
}

/** The marker of `paths`, or `null` when cm is enabled (no marker). */
export function readDisabled(probe: Probe, paths: StatePaths): DisabledMark | null {
  if (!probe.stat(paths.disabled)) return null;
  let text: string | null;
  try {
    text = probe.readText(paths.disabled);
  } catch (error) {
    return unreadable(paths.disabled, errorMessage(error));
  }
  if (text === null) return unreadable(paths.disabled, "a link to nothing");
  try {
    return markOf(JSON.parse(text)) ?? unreadable(paths.disabled, "not a marker cm wrote");
  } catch {
    return unreadable(paths.disabled, "not JSON");
  }
}

/** Writes the marker (old or new, 0600), making the state directory when missing. */
export function writeDisabled(exec: Executor, paths: StatePaths, mark: DisabledMark): void {
  exec.mkdir(paths.dir, { mode: 0o700 });
  const text = JSON.stringify(mark, null, 1) + "\n";
  exec.writeFile(paths.disabled, new TextEncoder().encode(text), { mode: 0o600 });
  exec.flush();
}

/** Removes the marker; nothing to do when there is none. */
export function removeDisabled(exec: Executor, paths: StatePaths): void {
  exec.remove(paths.disabled);
}

/** `since 2026-12-01 10:00:00 +0000 by alice (as root): "migrating the database"`. */
export function describeDisabled(mark: DisabledMark): string {
  return `since ${humanTime(mark.at)} by ${mark.by}: ${
    mark.reason ? JSON.stringify(mark.reason) : "no reason given"
  }`;
}

/**
 * Throws when cm is disabled: `command` ("cm sync") refuses.
 *
 * @throws {DisabledError} naming since when, by whom and why
 */
export function refuseWhenDisabled(probe: Probe, paths: StatePaths, command: string): void {
  const mark = readDisabled(probe, paths);
  if (!mark) return;
  throw new DisabledError(
    `${command} refused: cm is disabled ${describeDisabled(mark)} (cm enable lets it run again)`,
  );
}
