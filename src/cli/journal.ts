/**
 * Log priorities for the journal. Under systemd cm's stdout and stderr are
 * the journal, which files every line at `info` unless it starts with one of
 * sd-daemon(3)'s prefixes (`<3>` err, `<4>` warning; journald strips them,
 * SyslogLevelPrefix= is on by default). Per systemd.exec(5), JOURNAL_STREAM
 * holds `DEVICE:INODE` of the stream connected to the journal, to be compared
 * with the process's own descriptors: a stream redirected elsewhere (a file,
 * a pipe) gets no prefix.
 *
 * @module
 */

/** The journal priorities cm uses; lines without one are `info`. */
export type Priority = "err" | "warning";

const PREFIXES: Record<Priority, string> = { err: "<3>", warning: "<4>" };

/** The device and inode of an open stream (as fstat gives them). */
export interface StreamId {
  dev: number;
  ino: number | null;
}

/** Whether the stream `id` is the one JOURNAL_STREAM (`"DEVICE:INODE"`) names. */
export function isJournal(journalStream: string | undefined, id: StreamId | null): boolean {
  if (!journalStream || !id || id.ino === null) return false;
  const [dev, ino] = journalStream.split(":");
  return Number(dev) === id.dev && Number(ino) === id.ino;
}

/** `line` with the sd-daemon(3) prefix of `priority` (none for info). */
export function withPriority(line: string, priority?: Priority): string {
  return priority ? PREFIXES[priority] + line : line;
}

/**
 * fstat(2) of descriptor `fd` (Deno refuses /proc/self/fd paths without
 * --allow-all), through node:fs loaded only now: its start costs a run
 * about 20 ms, and only a run under systemd asks.
 */
function streamId(fd: number): StreamId | null {
  try {
    return process.getBuiltinModule("node:fs").fstatSync(fd);
  } catch {
    return null;
  }
}

/** JOURNAL_STREAM, or `undefined` when unset or unreadable (deno started without cm's flags). */
function journalStream(): string | undefined {
  try {
    return Deno.env.get("JOURNAL_STREAM");
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return undefined;
    throw error;
  }
}

/** Whether this process's stdout and stderr are the journal. */
export function journalStreams(): { out: boolean; err: boolean } {
  const stream = journalStream();
  if (!stream) return { out: false, err: false };
  return { out: isJournal(stream, streamId(1)), err: isJournal(stream, streamId(2)) };
}
