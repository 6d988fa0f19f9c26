/**
 * Releasing memory between the phases of a run.
 *
 * @module
 */

/**
 * A full garbage collection, when deno runs with V8's `--expose-gc` (cm's
 * flags, src/permissions.ts); else nothing. Called where a phase leaves much
 * garbage the next one does not need (the YAML parser's trees, a run's reads):
 * V8 sets the next collection's threshold from what is live at the last one,
 * so the next phase grows from there instead of on top of that garbage
 * (first converge of 1,000 files 66.5 -> 64 MiB peak, 10,000 files 118 -> 112 MiB).
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Heap in use (bytes) above which {@link collectLargeHeap} collects: a
 * 10,000-file no-op holds 35-39 MiB after its run, a 1,000-file one under 12.
 */
export const LARGE_HEAP = 24 * 1024 * 1024;

/**
 * {@link collectGarbage} when the heap holds more than `above` bytes: where a
 * small run's collection would cost more time than its memory is worth. A
 * 10,000-file no-op's peak fell 90.6 -> 83.9 MiB (medians of 7 runs of
 * dist/cm, 2026-12-02), its time the same; an empty run's collection would be
 * 1-2 ms of its 30.
 */
export function collectLargeHeap(above = LARGE_HEAP): void {
  if (Deno.memoryUsage().heapUsed > above) collectGarbage();
}
