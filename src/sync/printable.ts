/**
 * Text from a repository (commit subjects, git's and the server's messages)
 * made safe to print and record: control characters are removed, so escape
 * sequences cannot drive a terminal, rewrite a line or forge log lines.
 *
 * @module
 */

// C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without control characters (tabs and line breaks become spaces). */
export function printable(text: string): string {
  return text.replace(/[\t\n]/g, " ").replace(CONTROL, "");
}
