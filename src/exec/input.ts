/**
 * The one reader for cm's inputs (cookbooks, includes, templates, `source:`
 * files, the node's vars file): each must be a regular file no larger than a
 * cap, and every way opening or reading one can fail becomes one sentence
 * naming the path and the reason. An endless file (`/dev/zero`, a FIFO) is
 * refused before it is opened, so it can neither hang cm nor fill its memory.
 *
 * @module
 */
import { sha256Hex } from "../digest.ts";
import type { PathInfo, Probe } from "./executor.ts";

/** Largest cookbook, include, template or vars file cm reads: 16 MiB. */
export const MAX_COOKBOOK_BYTES = 16 * 1024 * 1024;

/** Largest `source:` file cm copies: 1 GiB (hashed and copied in chunks). */
export const MAX_SOURCE_BYTES = 1024 * 1024 * 1024;

/** A failed read: `error` names the path and the reason, e.g. `"x.yaml" is a directory`. */
export interface InputError {
  error: string;
}

const CHUNK = 1 << 20;

/** `bytes` as "16 MiB", "512 KiB" or "100 bytes". */
export function sizeText(bytes: number): string {
  if (bytes >= 1 << 20) return `${Math.round(bytes / (1 << 20))} MiB`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} bytes`;
}

/**
 * Why an OS error stopped reading `path`, as one sentence.
 *
 * @throws {Deno.errors.NotCapable} `error` itself when cm runs without any read permission
 */
export function inputFailure(path: string, error: unknown): string {
  const quoted = `"${path}"`;
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
    return `${quoted} not found`;
  }
  if (error instanceof Deno.errors.IsADirectory) return `${quoted} is a directory, expected a file`;
  if (error instanceof Deno.errors.NotCapable) {
    // With no read permission at all, deno was started without cm's flags: main.ts says so.
    if (Deno.permissions.querySync({ name: "read" }).state !== "granted") throw error;
    return `cannot read ${quoted}: outside the paths cm may read`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `cannot read ${quoted}: permission denied`;
  }
  const code = (error as { code?: unknown })?.code;
  return `cannot read ${quoted}: ${typeof code === "string" ? code : "read failed"}`;
}

/**
 * What `path` is, links followed: its size when it is a regular file of at
 * most `maxBytes`, else why it cannot be read as an input.
 */
export function inputSize(path: string, maxBytes: number): number | InputError {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    return { error: inputFailure(path, error) };
  }
  return checkInfo(path, kindOf(info), info.size, maxBytes);
}

function kindOf(info: Deno.FileInfo): PathInfo["kind"] {
  return info.isFile ? "file" : info.isDirectory ? "directory" : "other";
}

function checkInfo(
  path: string,
  kind: PathInfo["kind"],
  size: number,
  maxBytes: number,
): number | InputError {
  if (kind === "directory") return { error: `"${path}" is a directory, expected a file` };
  if (kind !== "file") {
    return { error: `"${path}" is not a regular file (a device, FIFO or socket), expected a file` };
  }
  return size > maxBytes ? tooLarge(path, maxBytes) : size;
}

/**
 * Reads `path` whole: a regular file of at most `maxBytes` bytes (checked
 * before opening and again on the open file), holding its bytes once.
 */
export function readInput(path: string, maxBytes: number): Uint8Array | InputError {
  return withInput(path, maxBytes, (file, size) => {
    const data = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const n = file.readSync(data.subarray(filled));
      if (n === null || n === 0) return data.subarray(0, filled);
      filled += n;
    }
    // A file that grew while being read is read no further than the size checked.
    const more = file.readSync(new Uint8Array(1));
    return more ? { error: `"${path}" changed while cm read it` } : data;
  });
}

/**
 * Reads an input through `probe` (so that tests can stand in for the
 * machine) once it is found, links followed, a regular file of at most
 * `maxBytes`.
 */
export function readInputVia(
  probe: Probe,
  path: string,
  maxBytes: number,
): Uint8Array | InputError {
  try {
    const size = sizeVia(probe, path, maxBytes);
    if (typeof size !== "number") return size;
    return probe.readFile(path) ?? notFound(path);
  } catch (error) {
    return { error: inputFailure(path, error) };
  }
}

/**
 * The size and sha256 (hex) of an input, checked through `probe` like
 * {@link readInputVia} and hashed by it ({@link Probe.hashFile}): never held
 * whole, so none of its bytes outlive the call.
 */
export async function hashInputVia(
  probe: Probe,
  path: string,
  maxBytes: number,
): Promise<{ size: number; sha256: string } | InputError> {
  try {
    const size = sizeVia(probe, path, maxBytes);
    if (typeof size !== "number") return size;
    const sha256 = await probe.hashFile(path);
    return sha256 === null ? notFound(path) : { size, sha256 };
  } catch (error) {
    return { error: inputFailure(path, error) };
  }
}

const notFound = (path: string): InputError => ({ error: `"${path}" not found` });

/** The size of `path` as `probe` finds it, links followed, when it is a regular file of at most `maxBytes`. */
function sizeVia(probe: Probe, path: string, maxBytes: number): number | InputError {
  let info = probe.stat(path);
  if (info?.kind === "symlink") info = probe.stat(Deno.realPathSync(path));
  return info ? checkInfo(path, info.kind, info.size, maxBytes) : notFound(path);
}

/**
 * Frees the memory of `data`, bytes cm read itself and no longer needs, now
 * instead of at V8's next full collection (until then a buffer read by Deno
 * is held outside the heap). Its buffer is detached: `data` is empty after.
 */
export function release(data: Uint8Array): void {
  (data.buffer as ArrayBuffer).transfer(0);
}

/** Inputs up to this size are hashed whole by WebCrypto; larger ones in chunks by node:crypto. */
const WHOLE_HASH_BYTES = 16 * 1024 * 1024;

/**
 * The sha256 (hex) of `path`'s bytes, with the checks of {@link readInput}.
 * Up to 16 MiB the file is read whole; a larger one is read in chunks of
 * 1 MiB through node:crypto, imported only then (its start costs every run
 * about 20 ms).
 */
export async function hashInput(path: string, maxBytes: number): Promise<string | InputError> {
  const size = inputSize(path, maxBytes);
  if (typeof size !== "number") return size;
  if (size <= WHOLE_HASH_BYTES) {
    const data = readInput(path, Math.min(maxBytes, WHOLE_HASH_BYTES));
    if ("error" in data) return data;
    const hash = await sha256Hex(data);
    release(data);
    return hash;
  }
  const { createHash } = await import("node:crypto");
  return withInput(path, maxBytes, (file) => {
    const hash = createHash("sha256");
    let total = 0;
    for (const chunk of chunksOf(file)) {
      total += chunk.length;
      if (total > maxBytes) return tooLarge(path, maxBytes);
      hash.update(chunk);
    }
    return hash.digest("hex");
  });
}

/** Decodes `data` as UTF-8; the 1-based line and column of the first invalid byte otherwise. */
export function decodeUtf8(data: Uint8Array): string | { line: number; col: number } {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    // The longest prefix that decodes (an unfinished last character allowed) ends where it breaks.
    let [good, bad] = [0, data.length];
    while (bad - good > 1) {
      const mid = (good + bad) >>> 1;
      if (validPrefix(data.subarray(0, mid)) !== null) good = mid;
      else bad = mid;
    }
    const before = validPrefix(data.subarray(0, good)) ?? "";
    const lineStart = before.lastIndexOf("\n") + 1;
    return { line: before.split("\n").length, col: [...before.slice(lineStart)].length + 1 };
  }
}

function validPrefix(data: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data, { stream: true });
  } catch {
    return null;
  }
}

function withInput<T>(
  path: string,
  maxBytes: number,
  use: (file: Deno.FsFile, size: number) => T | InputError,
): T | InputError {
  const size = inputSize(path, maxBytes);
  if (typeof size !== "number") return size;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    return { error: inputFailure(path, error) };
  }
  try {
    const info = file.statSync();
    const checked = checkInfo(path, kindOf(info), info.size, maxBytes);
    if (typeof checked !== "number") return checked;
    return use(file, checked);
  } catch (error) {
    return { error: inputFailure(path, error) };
  } finally {
    file.close();
  }
}

/** The bytes of `file` from where it stands, {@link CHUNK} at a time (one buffer, reused). */
function* chunksOf(file: Deno.FsFile): Generator<Uint8Array> {
  const buffer = new Uint8Array(CHUNK);
  for (;;) {
    const n = file.readSync(buffer);
    if (n === null || n === 0) return;
    yield buffer.subarray(0, n);
  }
}

function tooLarge(path: string, maxBytes: number): InputError {
  return { error: `"${path}" is larger than ${sizeText(maxBytes)}, the most cm reads` };
}
