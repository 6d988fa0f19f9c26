/**
 * How cookbook problems name what they point at: a YAML path as text and a
 * short rendering of the value found. The Problem shape and the errors that
 * carry problems live in src/errors.ts.
 *
 * @module
 */

/** Formats a YAML path like `configure.files[0].mode`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

/** A short, quoted rendering of a value found in a cookbook, for "got ..." messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}
