/**
 * JSON text of large plain data as UTF-8 chunks, for {@link Executor.writeFile}:
 * the bytes of `JSON.stringify(value, null, indent) + "\n"` without ever
 * holding them whole. A run report or state file of 10,000 resources is a
 * few MB of JSON; as one string plus its encoding it raised cm's peak memory
 * by about 8 MiB for each file written.
 *
 * @module
 */

/** Characters gathered before a chunk is encoded and handed on. */
const CHUNK_CHARS = 1 << 16;

/**
 * `JSON.stringify(value, null, indent) + "\n"` as UTF-8 chunks of about
 * 64 KiB: the top object's or array's members, and theirs, are written one
 * at a time. `value` is plain data (no `toJSON`, no functions); `indent` is
 * spaces per level, 0 for the compact form.
 */
export function* jsonChunks(value: unknown, indent = 0): Generator<Uint8Array> {
  yield* utf8Chunks(pieces(value, indent, 0));
  yield new Uint8Array([0x0a]);
}

/**
 * `texts` joined, as UTF-8 chunks of about 64 KiB, each cut between two of
 * `texts` (a log's lines stay whole in one chunk, one write each); no chunk
 * for no text.
 */
export function* utf8Chunks(texts: Iterable<string>): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  let buffer = "";
  for (const text of texts) {
    buffer += text;
    if (buffer.length >= CHUNK_CHARS) {
      yield encoder.encode(buffer);
      buffer = "";
    }
  }
  if (buffer) yield encoder.encode(buffer);
}

/** Members of containers this deep (the top is 0) are stringified whole. */
const WHOLE_BELOW = 2;

function* pieces(value: unknown, indent: number, depth: number): Generator<string> {
  if (depth >= WHOLE_BELOW || value === null || typeof value !== "object") {
    yield whole(value, indent, depth);
    return;
  }
  const array = Array.isArray(value);
  const members = array
    ? value.keys()
    : Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  const inner = indent ? `\n${" ".repeat(indent * (depth + 1))}` : "";
  let first = true;
  for (const key of members) {
    yield first ? (array ? "[" : "{") + inner : `,${inner}`;
    first = false;
    if (!array) yield `${JSON.stringify(key)}:${indent ? " " : ""}`;
    yield* pieces((value as Record<string | number, unknown>)[key], indent, depth + 1);
  }
  const close = array ? "]" : "}";
  yield first
    ? (array ? "[" : "{") + close
    : `${indent ? `\n${" ".repeat(indent * depth)}` : ""}${close}`;
}

/** One value as `JSON.stringify` writes it `depth` levels in (`null` for an undefined element). */
function whole(value: unknown, indent: number, depth: number): string {
  const text = JSON.stringify(value, null, indent) ?? "null";
  return indent && depth ? text.replaceAll("\n", `\n${" ".repeat(indent * depth)}`) : text;
}
