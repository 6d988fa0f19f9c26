/**
 * cm's one content hash, SHA-256, through WebCrypto: native and nothing to
 * import, where node:crypto would load Node's compatibility layer (about
 * 20 ms of every run's start). Many inputs at once too: each WebCrypto digest
 * is a hop to a worker thread (10,000 specs: 95-120 ms, where node:crypto
 * takes 10 ms once loaded), but loading node:crypto raised the peak of a
 * 10,000-file first converge by about 10 MiB (104-115 -> 90-93 MiB,
 * 2026-12-02), over its 100 MiB budget.
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const encoder = new TextEncoder();

/** The SHA-256 of `data` (a string as UTF-8) as 64 lower-case hex digits. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  // Joined, not appended byte by byte: that would leave a chain of ~30 string pieces
  // (1 KiB) behind each hash the run keeps, where the flat string takes 80 bytes.
  return Array.from(digest, (byte) => HEX[byte]).join("");
}

/**
 * WebCrypto digests in flight at once. Each is a task of Deno's worker pool,
 * holding a copy of its input and, while all are busy, another thread: 2,000
 * at once raised a process's peak memory by 9 MiB, 64 at a time by 4, no slower.
 */
export const IN_FLIGHT = 64;

/** {@link sha256Hex} of each of `items`, in order. */
export async function sha256Hexes(items: readonly (Uint8Array | string)[]): Promise<string[]> {
  const hashes: string[] = new Array(items.length);
  for (let start = 0; start < items.length; start += IN_FLIGHT) {
    const batch = await Promise.all(items.slice(start, start + IN_FLIGHT).map(sha256Hex));
    batch.forEach((hash, i) => hashes[start + i] = hash);
  }
  return hashes;
}
