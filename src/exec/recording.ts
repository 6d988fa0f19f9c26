/**
 * A fake executor for unit tests: records every argv and every write, answers
 * processes from rules, and keeps files in memory.
 *
 * @module
 */
import { sha256Hex } from "../digest.ts";
import { unremovableTree } from "../posix_path.ts";
import type { Attributes, Executor, PathInfo, ProcessOptions, RunResult } from "./executor.ts";

/** How a {@link RecordingExecutor} answers a command: a fixed result, or one computed from the argv. */
export type Answer =
  | Partial<RunResult>
  | ((argv: string[], options: ProcessOptions) => Partial<RunResult>);

interface Entry {
  info: PathInfo;
  data?: Uint8Array;
  /** A symbolic link's target. */
  target?: string;
}

/** An {@link Executor} that changes nothing real. */
export class RecordingExecutor implements Executor {
  /** Every argv run, in order. */
  readonly calls: string[][] = [];
  /** Every change made, as text: "write /etc/x", "mkdir /srv", "chmod /x 644", ... */
  readonly writes: string[] = [];
  #rules: { prefix: string[]; answer: Answer }[] = [];
  #paths = new Map<string, Entry>();
  #users = new Map([["root", 0], ["www-data", 33]]);
  #groups = new Map([["root", 0], ["www-data", 33]]);
  /** What {@link RecordingExecutor.isRoot} answers. */
  root = true;

  /** Answers argv starting with `prefix`; later rules win over earlier ones. */
  on(prefix: string[], answer: Answer): this {
    this.#rules.unshift({ prefix, answer });
    return this;
  }

  /**
   * Puts a file (or, with `data` omitted, a directory) into the fake file
   * system; with `{ kind: "symlink" }`, `data` is the link's target.
   */
  put(path: string, data?: string | Uint8Array, info: Partial<PathInfo> = {}): this {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.#paths.set(path, {
      data: bytes,
      info: {
        kind: bytes ? "file" : "directory",
        size: bytes?.length ?? 4096,
        mode: bytes ? 0o644 : 0o755,
        uid: 0,
        gid: 0,
        mtimeMs: 0,
        ...info,
      },
    });
    return this;
  }

  /** Puts a symbolic link to `target` into the fake file system. */
  putLink(path: string, target: string): this {
    this.#paths.set(path, {
      target,
      info: { kind: "symlink", size: target.length, mode: 0o777, uid: 0, gid: 0, mtimeMs: 0 },
    });
    return this;
  }

  /** The text of a file in the fake file system, or `null`. */
  text(path: string): string | null {
    const data = this.#paths.get(path)?.data;
    return data ? new TextDecoder().decode(data) : null;
  }

  run(argv: string[], options: ProcessOptions = {}): Promise<RunResult> {
    this.calls.push(argv);
    const rule = this.#rules.find((r) => r.prefix.every((part, i) => argv[i] === part));
    const answer = typeof rule?.answer === "function" ? rule.answer(argv, options) : rule?.answer;
    return Promise.resolve({ code: 0, stdout: "", stderr: "", ...answer });
  }

  /** Guards are recorded in {@link calls} like any command. */
  runGuard(argv: string[], options: ProcessOptions = {}): Promise<RunResult> {
    return this.run(argv, options);
  }

  stat(path: string): PathInfo | null {
    const entry = this.#paths.get(path);
    return entry ? { ...entry.info } : null;
  }
  readFile(path: string): Uint8Array | null {
    return this.#paths.get(path)?.data ?? null;
  }
  readText(path: string): string | null {
    const data = this.readFile(path);
    return data && new TextDecoder().decode(data);
  }
  listDir(path: string): string[] | null {
    if (this.#paths.get(path)?.info.kind !== "directory") return null;
    const prefix = `${path === "/" ? "" : path}/`;
    return [...this.#paths.keys()]
      .filter((p) => p.startsWith(prefix) && p.length > prefix.length)
      .map((p) => p.slice(prefix.length).split("/")[0])
      .filter((name, i, all) => all.indexOf(name) === i).sort();
  }
  readLink(path: string): string | null {
    const entry = this.#paths.get(path);
    if (entry?.info.kind !== "symlink") return null;
    // A link made by putLink keeps its target; one made by put() holds it as data.
    return entry.target ?? (entry.data ? new TextDecoder().decode(entry.data) : null);
  }

  async hashFile(path: string): Promise<string | null> {
    const data = this.#paths.get(path)?.data;
    return data ? await sha256Hex(data) : null;
  }
  uid(user: string): number | null {
    return /^\d+$/.test(user) ? Number(user) : this.#users.get(user) ?? null;
  }
  gid(group: string): number | null {
    return /^\d+$/.test(group) ? Number(group) : this.#groups.get(group) ?? null;
  }
  userName(uid: number): string {
    return [...this.#users].find(([, id]) => id === uid)?.[0] ?? String(uid);
  }
  groupName(gid: number): string {
    return [...this.#groups].find(([, id]) => id === gid)?.[0] ?? String(gid);
  }
  isRoot(): boolean {
    return this.root;
  }

  writeFile(path: string, data: Uint8Array | Iterable<Uint8Array>, attrs: Attributes): void {
    this.writes.push(`write ${path}`);
    const bytes = data instanceof Uint8Array ? data : concat([...data]);
    this.put(path, bytes, { mode: attrs.mode ?? 0o644, uid: attrs.uid ?? 0, gid: attrs.gid ?? 0 });
  }
  appendFile(path: string, data: Uint8Array | Iterable<Uint8Array>, mode: number): void {
    this.writes.push(`append ${path}`);
    const before = this.#paths.get(path)?.data ?? new Uint8Array();
    const added = data instanceof Uint8Array ? [data] : [...data];
    this.put(path, concat([before, ...added]), { mode: this.#paths.get(path)?.info.mode ?? mode });
  }
  flush(): void {
    // In memory every write is already final.
  }

  symlink(target: string, path: string): void {
    if (this.#paths.get(path)?.info.kind === "directory") {
      throw new Error(`cannot replace directory "${path}" with a link`);
    }
    this.writes.push(`symlink ${path} -> ${target}`);
    this.putLink(path, target);
  }
  mkdir(path: string, attrs: Attributes): void {
    this.writes.push(`mkdir ${path}`);
    this.put(path, undefined, {
      mode: attrs.mode ?? 0o755,
      uid: attrs.uid ?? 0,
      gid: attrs.gid ?? 0,
    });
  }
  chmod(path: string, mode: number): void {
    this.writes.push(`chmod ${path} ${mode.toString(8)}`);
    const entry = this.#paths.get(path);
    if (entry) entry.info.mode = mode;
  }
  chown(path: string, uid: number | null, gid: number | null): void {
    this.writes.push(`chown ${path} ${uid ?? "-"}:${gid ?? "-"}`);
    const entry = this.#paths.get(path);
    if (entry && uid !== null) entry.info.uid = uid;
    if (entry && gid !== null) entry.info.gid = gid;
  }
  remove(path: string): void {
    this.writes.push(`remove ${path}`);
    this.#paths.delete(path);
  }
  removeTree(path: string): void {
    const refused = unremovableTree(path);
    if (refused) throw new Error(refused);
    this.writes.push(`removeTree ${path}`);
    for (const p of this.#paths.keys()) {
      if (p === path || p.startsWith(`${path}/`)) this.#paths.delete(p);
    }
  }
}

/** The chunks one after the other, in one array. */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
