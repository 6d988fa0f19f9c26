/**
 * `cron`: one entry as a file in /etc/cron.d, written like the file kind
 * (atomically, root:root 0644, which cron requires).
 *
 * Behaviour, decided here:
 * - The file holds a header comment, the environment lines, and one line
 *   `schedule user command`. `%` in the command is written `\%`: unescaped,
 *   cron would turn it into a newline and feed the rest to stdin.
 * - A file cm wrote is read back field by field, so a plan says which of
 *   schedule, user, command and environment changed; any other file at the
 *   path (edited by hand, or not cm's) is a `content` change and is replaced.
 * - A file with another mode or owner is rewritten too: cron skips a file
 *   that group or others can write.
 * - An entry to be written needs a cron daemon: a package that is or
 *   provides `cron-daemon` (cron, systemd-cron, bcron), read from dpkg's
 *   status. Without one the entry fails, in the plan too unless a package or
 *   command of the run may install it (/etc/cron.d alone proves nothing:
 *   e2fsprogs ships a file there).
 * - `state: absent` removes the file.
 * - Rollback puts the file back as it was (content, owner, mode), or removes
 *   a file the run created.
 *
 * @module
 */
import type { CronSpec } from "./cron_schema.ts";
export type { CronSpec };
import type { Executor, Probe } from "../src/exec/executor.ts";
import { AccountCache, formatMode, unknownAccount } from "./_ownership.ts";
import { noSuchAccount } from "./_accounts.ts";
import { restorePath } from "./_restore_path.ts";
import { installedProviders } from "../src/facts/dpkg.ts";
import {
  applyEach,
  type Change,
  errorMessage,
  type Outcome,
  type ResourceKind,
  sideEffectsSoFar,
  type SpecProblem,
} from "./resource.ts";

/** What a cron file says, read back. */
export interface CronEntry {
  schedule: string;
  user: string;
  command: string;
  environment: Record<string, string>;
}

/** What `read` found for one cron file. */
export interface CronState {
  /** The file's text, or `null` when there is no file. */
  text: string | null;
  mode: number;
  uid: number;
  gid: number;
  /** The text the spec wants. */
  want: string;
  /** Why the file could not be read. */
  error?: string;
  /** The uid of the entry's user (`null`: no such user), looked up for an entry to be present. */
  userUid?: number | null;
  /** Why that user will not exist when the entry is written either (see `AccountCache.never`). */
  userNever?: string;
  /** No cron daemon is installed: what to say on a change (blocked when nothing in the run may install one). */
  noDaemon?: Pick<Change, "note" | "blocked">;
}

/** Why an entry would never run: no package that is or provides cron-daemon is installed. */
export const NO_CRON_DAEMON =
  'no cron daemon is installed (no package provides "cron-daemon"): cron would never run the entry; install cron';

/** Whether a cron daemon is installed: `undefined` when dpkg cannot tell. */
function daemonInstalled(probe: Probe): boolean | undefined {
  const found = installedProviders(probe, "cron-daemon");
  return found === null ? undefined : found.length > 0;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The file's text for a spec. */
export function renderCron(spec: CronSpec, id: string): string {
  const env = Object.entries(spec.environment ?? {}).map(([k, v]) => `${k}=${v}\n`).join("");
  const command = (spec.command ?? "").replaceAll(/(?<!\\)%/g, "\\%");
  return `# ${id}: managed by cm, changes here are overwritten\n${env}${spec.schedule} ${spec.user} ${command}\n`;
}

/** The entry of a file in the shape {@link renderCron} writes, or `null` for any other text. */
export function parseCron(text: string): CronEntry | null {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const environment: Record<string, string> = {};
  while (lines.length > 1) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(lines[0]);
    if (!m) return null;
    environment[m[1]] = m[2];
    lines.shift();
  }
  if (lines.length !== 1) return null;
  const words = lines[0].trim().split(/\s+/);
  const scheduleWords = words[0].startsWith("@") ? 1 : 5;
  if (words.length < scheduleWords + 2) return null;
  const head = new RegExp(`^\\s*(\\S+\\s+){${scheduleWords + 1}}`).exec(lines[0])![0];
  return {
    schedule: words.slice(0, scheduleWords).join(" "),
    user: words[scheduleWords],
    command: lines[0].slice(head.length).replaceAll("\\%", "%"),
    environment,
  };
}

/** Rules beyond the schema: an entry to be present needs a schedule and a command. */
export function checkCron(spec: CronSpec): SpecProblem[] {
  if (spec.state === "absent") return [];
  return (["schedule", "command"] as const).filter((f) => spec[f] === undefined).map((field) => ({
    field,
    message: `expected a ${field} for a cron entry (or state: absent)`,
  }));
}

/** The field-by-field changes between two entries. */
function entryChanges(before: CronEntry, after: CronEntry): Change[] {
  const changes: Change[] = [];
  for (const field of ["schedule", "user", "command"] as const) {
    if (before[field] !== after[field]) {
      changes.push({ field, before: before[field], after: after[field] });
    }
  }
  if (JSON.stringify(before.environment) !== JSON.stringify(after.environment)) {
    changes.push({ field: "environment", before: before.environment, after: after.environment });
  }
  return changes;
}

/**
 * The `cron` kind writing into `dir` (/etc/cron.d; another directory in
 * tests), asking `hasDaemon` whether a cron daemon is installed (dpkg's
 * status; tests on a real file system say one is).
 */
export function cronKind(
  dir = "/etc/cron.d",
  hasDaemon: (probe: Probe) => boolean | undefined = daemonInstalled,
): ResourceKind<CronSpec, CronState> {
  const pathOf = (spec: CronSpec) => `${dir}/${spec.name}`;
  const id = (spec: CronSpec) => `cron[${spec.name}]`;

  function readOne(spec: CronSpec, probe: Probe, accounts: AccountCache): CronState {
    const state: CronState = {
      text: null,
      mode: 0,
      uid: 0,
      gid: 0,
      want: renderCron(spec, id(spec)),
    };
    if (spec.state !== "absent") {
      state.userUid = accounts.uid(spec.user);
      const never = state.userUid === null && accounts.never("user", spec.user);
      if (never) state.userNever = `${never}: cron would skip the entry`;
    }
    try {
      const info = probe.stat(pathOf(spec));
      if (!info) return state;
      if (info.kind !== "file") {
        return { ...state, error: `"${pathOf(spec)}" is not a regular file` };
      }
      const data = probe.readFile(pathOf(spec));
      return {
        ...state,
        text: data && decoder.decode(data),
        mode: info.mode,
        uid: info.uid,
        gid: info.gid,
      };
    } catch (error) {
      return { ...state, error: `cannot read "${pathOf(spec)}": ${errorMessage(error)}` };
    }
  }

  function diffOne(spec: CronSpec, current: CronState): Change[] {
    if (current.error) {
      return [{
        field: "state",
        before: null,
        after: spec.state,
        note: current.error,
        blocked: true,
      }];
    }
    if (spec.state === "absent") {
      return current.text === null ? [] : [{ field: "state", before: "present", after: "absent" }];
    }
    if (current.text === null) {
      return [withUserNote({ field: "state", before: "absent", after: "present" }, spec, current)];
    }
    const changes: Change[] = [];
    if (current.text !== current.want) {
      const before = parseCron(current.text);
      const fields = before ? entryChanges(before, parseCron(current.want)!) : [];
      changes.push(
        ...(fields.length
          ? fields
          : [{ field: "content", before: "(other text)", after: "(cm's entry)" }]),
      );
    }
    if (current.mode !== 0o644) {
      changes.push({ field: "mode", before: formatMode(current.mode), after: "0644" });
    }
    if (current.uid !== 0 || current.gid !== 0) {
      changes.push({ field: "owner", before: `${current.uid}:${current.gid}`, after: "0:0" });
    }
    return changes.map((change) => withUserNote(change, spec, current));
  }

  /**
   * A change to an entry whose user does not exist, or with no cron daemon:
   * noted, and blocked when nothing in the run makes what is missing.
   */
  function withUserNote(change: Change, spec: CronSpec, current: CronState): Change {
    const user = unknownAccount("user", spec.user, current.userUid, current.userNever);
    return { ...change, ...(user.note ? user : current.noDaemon ?? {}) };
  }

  function applyOne(spec: CronSpec, exec: Executor): Outcome {
    const path = pathOf(spec);
    const info = exec.stat(path);
    if (info && info.kind !== "file") {
      return { ok: false, error: `"${path}" is not a regular file: remove it` };
    }
    if (spec.state === "absent") exec.remove(path);
    else if (exec.uid(spec.user) === null) {
      return {
        ok: false,
        error: `${noSuchAccount("user", spec.user, exec)}: cron would skip the entry`,
      };
    } else if (hasDaemon(exec) === false) {
      return { ok: false, error: NO_CRON_DAEMON };
    } else if (exec.stat(dir)?.kind !== "directory") {
      return { ok: false, error: `"${dir}" does not exist: is cron installed?` };
    } else {exec.writeFile(path, encoder.encode(renderCron(spec, id(spec))), {
        mode: 0o644,
        uid: 0,
        gid: 0,
      });}
    return { ok: true };
  }

  return {
    name: "cron",
    id,
    check: checkCron,
    claims: (spec) => [`path:${pathOf(spec)}`],
    read: (specs, probe, ctx) => {
      const accounts = new AccountCache(probe, ctx);
      const noDaemon = specs.some((spec) => spec.state !== "absent") &&
          hasDaemon(probe) === false
        ? (sideEffectsSoFar(ctx.changed)
          ? { note: "no cron daemon is installed yet" }
          : { note: NO_CRON_DAEMON, blocked: true })
        : undefined;
      return Promise.resolve(specs.map((spec) => {
        const state = readOne(spec, probe, accounts);
        return noDaemon && spec.state !== "absent" ? { ...state, noDaemon } : state;
      }));
    },
    diff: diffOne,
    apply: (items, exec) => applyEach(items, (spec) => applyOne(spec, exec)),
    snapshot: (spec, _current, store) => store.capture(pathOf(spec)),
    restore: (before, exec, store) => restorePath(before, exec, store),
  };
}

/** The `cron` resource kind. */
export const cron = cronKind();
