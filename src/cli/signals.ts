/**
 * SIGINT and SIGTERM during an apply: the first asks the run to stop after the
 * resource at work (so no file is left half-done and the run is recorded); a
 * second one ends cm at once, as usual, and the commands it started in process
 * groups of their own (which a terminal's Ctrl-C does not reach) with it.
 *
 * @module
 */

import { EXIT } from "./exit.ts";
import { signalGroupedChildren } from "../exec/real.ts";

const SIGNALS = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;

/** What a run needs to know about signals, while it lasts. */
export interface SignalWatch extends Disposable {
  /** "interrupted by SIGTERM" once a signal came, else undefined. */
  interrupted(): string | undefined;
  /** The exit code for the signal that came (130 or 143), else undefined. */
  exitCode(): number | undefined;
}

type SignalName = keyof typeof SIGNALS;

/**
 * Listens for SIGINT and SIGTERM with `on` (given the signal's name); returns
 * what stops listening (once is enough): with no listener left, the next
 * signal has its default effect again.
 */
function listen(on: (name: SignalName) => void): () => void {
  const handlers = (Object.keys(SIGNALS) as SignalName[]).map((name) =>
    [name, () => on(name)] as const
  );
  for (const [name, handler] of handlers) Deno.addSignalListener(name, handler);
  let listening = true;
  return () => {
    if (!listening) return;
    listening = false;
    for (const [name, handler] of handlers) Deno.removeSignalListener(name, handler);
  };
}

/** Starts watching; `warn` prints the one-line notice. Dispose to stop watching. */
export function watchSignals(warn: (line: string) => void): SignalWatch {
  let caught: SignalName | undefined;
  const stop = listen((name) => {
    if (caught) {
      // The second: what cm started goes too, then cm.
      stop();
      endWithChildren(name);
      return;
    }
    caught = name;
    warn(`cm: ${name}: stopping after the resource at work (again to stop at once)`);
  });
  return {
    interrupted: () => caught && `interrupted by ${caught}`,
    exitCode: () => caught && SIGNALS[caught],
    [Symbol.dispose]: stop,
  };
}

/**
 * Ends cm by `name`'s default action, after passing it to the commands cm
 * started in process groups of their own (which a terminal's Ctrl-C or a
 * `kill` of cm alone does not reach). No listener for `name` may be left.
 */
function endWithChildren(name: SignalName): void {
  signalGroupedChildren(name);
  Deno.kill(Deno.pid, name);
}

/**
 * Until disposed, SIGINT and SIGTERM end cm at once together with the
 * commands it started (the git of a sync's fetch and checkout), instead of
 * leaving them at work, without cm's run lock, in its repository.
 */
export function stopAtOnce(): Disposable {
  const stop = listen((name) => {
    stop();
    endWithChildren(name);
  });
  return { [Symbol.dispose]: stop };
}
