/**
 * The foreground loop of `cm sync` without `--once`: each round waits a random
 * splay (0 to splay seconds, so a fleet started together spreads out), syncs,
 * then waits the interval. A failed round is reported and the loop goes on.
 *
 * @module
 */

/** A random delay in milliseconds, uniform in [0, splay seconds). */
export function splayDelayMs(splaySeconds: number, random: () => number = Math.random): number {
  return Math.floor(random() * splaySeconds * 1000);
}

/** What the loop needs; injectable for tests. */
export interface LoopHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Stop after this many rounds (tests); forever when absent. */
  rounds?: number;
  /** Called with every error a round throws; the loop goes on. */
  onError?: (error: unknown) => void;
}

/** Runs `round` forever (or `hooks.rounds` times), spaced by interval plus random splay. */
export async function syncLoop(
  round: () => Promise<number>,
  intervalSeconds: number,
  splaySeconds: number,
  hooks: LoopHooks = {},
): Promise<number> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = 0;
  for (let i = 0; hooks.rounds === undefined || i < hooks.rounds; i++) {
    await sleep(splayDelayMs(splaySeconds, hooks.random));
    try {
      last = await round();
    } catch (error) {
      hooks.onError?.(error);
      last = 1;
    }
    if (hooks.rounds === undefined || i + 1 < hooks.rounds) await sleep(intervalSeconds * 1000);
  }
  return last;
}
