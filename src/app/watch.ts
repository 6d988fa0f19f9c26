/**
 * The use case behind `cm watch`: watch the files and directories the last
 * applied cookbooks manage (Deno.watchFs on their parent directories, which
 * needs read permission only) and repair drift within seconds: after the
 * first change, wait until changes stop for the debounce time, then run an
 * apply like any other (taking the run lock). Changes that arrive while a
 * repair runs (its own writes among them) trigger one more run, a no-op when
 * they were cm's own.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import {
  appliedCookbooks,
  appliedVarsFile,
  converge,
  type Interrupts,
  loadCached,
} from "./converge.ts";
import type { Cookbook } from "../cookbook/cookbook.ts";
import type { RunReport } from "../engine/report.ts";
import { type StatePaths, statePaths } from "../state/paths.ts";
import { readState } from "../state/store.ts";
import { CookbookError, DisabledError } from "../errors.ts";

/** Milliseconds without a further change before a repair starts. */
export const DEFAULT_DEBOUNCE_MS = 200;

/** One repair: what set it off, when, and the run. */
export interface Repair {
  /** Managed paths whose change was seen. */
  paths: string[];
  /** When the first change was seen (epoch ms). */
  detectedAt: number;
  /** From detection to the end of the run, in milliseconds (debounce included). */
  repairMs: number;
  report: RunReport;
}

/** What `cm watch` is told as it goes. */
export interface WatchHooks {
  /** The managed paths now watched (again after the applied cookbooks change). */
  watching(paths: string[], cookbooks: string[]): void;
  /** A repair run ended; the caller audits, alerts and prints. */
  repaired(repair: Repair): Promise<void> | void;
  /** A repair refused while `cm disable` stands (the message says why); the watch goes on. */
  refused?(message: string): void;
  /** Watches for stop requests while a repair runs. */
  interrupts?: () => Interrupts;
  /** Stops watching (tests); forever when absent. */
  signal?: AbortSignal;
}

/** The absolute paths `cookbook` manages on disk: every resource's `path`. */
export function managedPaths(cookbook: Cookbook): string[] {
  const paths = cookbook.resources
    .map((r) => r.spec?.path)
    .filter((p): p is string => typeof p === "string" && p.startsWith("/"));
  return [...new Set(paths)].sort();
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Events of a watcher, one at a time, with or without a wait limit. */
class EventQueue {
  #iterator: AsyncIterator<Deno.FsEvent>;
  #pending: Promise<IteratorResult<Deno.FsEvent>>;
  constructor(watcher: Deno.FsWatcher) {
    this.#iterator = watcher[Symbol.asyncIterator]();
    this.#pending = this.#iterator.next();
  }
  /** The next event, or `null` when the watcher closed. */
  async next(): Promise<Deno.FsEvent | null> {
    const got = await this.#pending;
    if (got.done) return null;
    this.#pending = this.#iterator.next();
    return got.value;
  }
  /** The next event within `ms`, "quiet" when none came, `null` when the watcher closed. */
  async within(ms: number): Promise<Deno.FsEvent | null | "quiet"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => timer = setTimeout(() => resolve("quiet"), ms));
    const got = await Promise.race([this.#pending, quiet]);
    clearTimeout(timer);
    return got === "quiet" ? got : await this.next();
  }
}

/**
 * Watches and repairs until `hooks.signal` aborts. Watches `options.files`,
 * else the cookbooks of the last recorded apply (followed as runs change them).
 *
 * @throws {UsageError} when no cookbooks are named and none were applied yet
 * @throws {CookbookError} when the cookbooks do not load
 */
export async function watch(
  exec: Executor,
  options: { stateDir?: string; files?: string[]; debounceMs?: number },
  hooks: WatchHooks,
): Promise<void> {
  const paths = statePaths(options.stateDir);
  const debounce = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  while (!hooks.signal?.aborted) {
    const files = options.files ?? appliedCookbooks(exec, paths);
    const varsFile = options.files ? undefined : appliedVarsFile(exec, paths);
    const { cookbook } = await loadCached(files, exec, paths.catalog, { varsFile });
    const managed = new Set(managedPaths(cookbook));
    const dirs = [...new Set([...managed].map(parentOf)), paths.dir].filter((d) => exec.stat(d));
    using watcher = Deno.watchFs(dirs, { recursive: false });
    const stop = () => watcher.close();
    hooks.signal?.addEventListener("abort", stop);
    hooks.watching([...managed], files);
    try {
      await repairLoop(
        exec,
        new EventQueue(watcher),
        { paths, files, varsFile, managed, debounce, follow: !options.files },
        hooks,
      );
    } finally {
      hooks.signal?.removeEventListener("abort", stop);
    }
  }
}

interface Watched {
  paths: StatePaths;
  files: string[];
  /** The vars file the followed cookbooks were applied with. */
  varsFile?: string;
  managed: Set<string>;
  debounce: number;
  /** Whether the cookbooks followed are the last applied ones (reloaded when they change). */
  follow: boolean;
}

/** Managed paths changed in `event`. */
function changed(event: Deno.FsEvent, managed: Set<string>): string[] {
  return event.kind === "access" ? [] : event.paths.filter((p) => managed.has(p));
}

/** Collects changes until none came for `debounce` ms; `null` when the watcher closed. */
async function settle(events: EventQueue, w: Watched): Promise<string[] | null> {
  const seen: string[] = [];
  for (
    let e = await events.within(w.debounce);
    e !== "quiet";
    e = await events.within(w.debounce)
  ) {
    if (e === null) return null;
    seen.push(...changed(e, w.managed));
  }
  return seen;
}

/**
 * Whether `event` is a run recording other cookbooks than the ones followed,
 * or the same files managing other paths (cm sync applied a commit that adds
 * a file to the same cookbook): then the watch starts again on the new paths.
 * Cookbooks that no longer load keep the paths watched.
 */
async function cookbooksMoved(exec: Executor, event: Deno.FsEvent, w: Watched): Promise<boolean> {
  if (!w.follow || !event.paths.includes(w.paths.state)) return false;
  const now = readState(exec, w.paths).lastRun?.cookbooks;
  if (!now) return false;
  if (JSON.stringify(now) !== JSON.stringify(w.files)) return true;
  try {
    const { cookbook } = await loadCached(w.files, exec, w.paths.catalog, { varsFile: w.varsFile });
    return managedPaths(cookbook).join("\n") !== [...w.managed].join("\n");
  } catch (error) {
    if (error instanceof CookbookError) return false;
    throw error;
  }
}

/** Whether `event` is `cm enable` removing the disable marker. */
function enabled(exec: Executor, event: Deno.FsEvent, w: Watched): boolean {
  return event.paths.includes(w.paths.disabled) && exec.stat(w.paths.disabled) === null;
}

/** One repair run; `null` when refused while `cm disable` stands (the watch goes on). */
async function repair(exec: Executor, w: Watched, hooks: WatchHooks): Promise<RunReport | null> {
  try {
    return await converge(w.files, exec, {
      mode: "apply",
      stateDir: w.paths.dir,
      lock: "take",
      command: "cm watch",
      varsFile: w.varsFile,
      interrupts: hooks.interrupts,
    });
  } catch (error) {
    if (!(error instanceof DisabledError)) throw error;
    hooks.refused?.(error.message);
    return null;
  }
}

/** Repairs on each burst of changes; returns when the watcher closes or the applied cookbooks change. */
async function repairLoop(
  exec: Executor,
  events: EventQueue,
  w: Watched,
  hooks: WatchHooks,
): Promise<void> {
  let seen: string[] = [];
  // Changes whose repair `cm disable` refused: repaired as soon as `cm enable` removes the marker.
  let held: string[] = [];
  for (;;) {
    if (!seen.length) {
      const event = await events.next();
      if (event === null || await cookbooksMoved(exec, event, w)) return;
      seen = changed(event, w.managed);
      if (!seen.length && held.length && enabled(exec, event, w)) seen = held;
      if (!seen.length) continue;
    }
    const detectedAt = Date.now();
    const more = await settle(events, w);
    if (more === null) return;
    const report = await repair(exec, w, hooks);
    if (!report) {
      held = [...new Set([...held, ...seen, ...more])];
      seen = [];
      continue;
    }
    held = [];
    const repairMs = Date.now() - detectedAt;
    await hooks.repaired({ paths: [...new Set([...seen, ...more])], detectedAt, repairMs, report });
    // Changes seen during the run, cm's own writes among them: one more run settles them.
    const during = await settle(events, w);
    if (during === null) return;
    seen = during;
  }
}
