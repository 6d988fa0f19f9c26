/**
 * Who may hold the node's vars file (see node_vars.ts): checked before it is
 * read, and before a catalog loaded with it is used. Nothing here parses YAML,
 * so a no-op run from the catalog loads no parser.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { inputFailure } from "../exec/input.ts";

/**
 * Why the vars file at `path` must not be used, or null when it may: it must
 * be a regular file (not a link) owned by root or by `myUid`, the user cm runs
 * as, readable and writable by nobody else.
 */
export function varsFileRefusal(
  probe: Probe,
  path: string,
  myUid: number | null,
): string | null {
  let info;
  try {
    info = probe.stat(path);
  } catch (error) {
    // Not "not found": /proc/self/environ is there, cm may only not read it.
    return `vars file: ${inputFailure(path, error)}`;
  }
  if (!info) return `vars file "${path}" not found`;
  if (info.kind !== "file") return `vars file "${path}" is not a regular file`;
  if (info.mode & 0o077) {
    return `vars file "${path}" is accessible by group or others (mode ${
      info.mode.toString(8).padStart(4, "0")
    }): chmod 600 it, it holds node-local secrets`;
  }
  if (info.uid !== 0 && info.uid !== myUid) {
    return `vars file "${path}" belongs to uid ${info.uid}: expected root or uid ${myUid}`;
  }
  return null;
}
