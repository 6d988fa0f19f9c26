/**
 * Process output made fit for messages: its end, the "tool exited N: tail"
 * sentence, and text stripped of control characters.
 *
 * @module
 */
import type { RunResult } from "./executor.ts";

/**
 * The end of `text` as the tool wrote it: its last `lines` non-empty lines
 * (trailing blanks dropped), at most `bytes` characters. When lines were left
 * out, a first line says how many: `(12 earlier lines cut)`; a last line
 * longer than `bytes` keeps its end after `...`.
 */
export function tail(text: string, lines = 5, bytes = 800): string {
  const all = text.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  const kept: string[] = [];
  for (let i = all.length - 1, size = 0; i >= 0 && kept.length < lines; i--) {
    size += all[i].length + (kept.length ? 1 : 0);
    if (size > bytes) break;
    kept.unshift(all[i]);
  }
  if (!kept.length && all.length) kept.push(`...${endOf(all[all.length - 1], bytes)}`);
  const cut = all.length - kept.length;
  return [...(cut ? [`(${cut} earlier line${cut === 1 ? "" : "s"} cut)`] : []), ...kept].join("\n");
}

/**
 * The last `bytes` characters of `line`, after a blank when there is one: the
 * end of a word cut in half (a token the output quoted) is a part of it that
 * no mask of the whole token matches.
 */
function endOf(line: string, bytes: number): string {
  const end = line.slice(-bytes);
  const blank = /\s/.test(line[line.length - bytes - 1]) ? -1 : end.search(/\s/);
  return end.slice(blank + 1);
}

/**
 * The end of what a failed command or validator wrote, up to 20 lines / 2 KiB:
 * of the one stream it wrote to, or, when it wrote to both, the end of each
 * under `stdout:` and `stderr:` (10 lines / 1 KiB each; many tools give their
 * reason on stdout and only noise on stderr, or the other way round).
 */
export function outputTail(stdout: string, stderr: string): string {
  const [out, err] = [stdout.trim() !== "", stderr.trim() !== ""];
  if (out && err) return `stdout:\n${tail(stdout, 10, 1024)}\nstderr:\n${tail(stderr, 10, 1024)}`;
  return tail(err ? stderr : stdout, 20, 2048) || "(no output)";
}

/**
 * `"dpkg-query exited 2: <tail>"`: the one sentence for a tool that failed,
 * with the end of its stderr (or of stdout when stderr is empty; up to 5
 * lines), or without a colon when it printed nothing.
 */
export function exitedWith(tool: string, result: RunResult): string {
  const output = tail(result.stderr.trim() ? result.stderr : result.stdout);
  return `${tool} exited ${result.code}${output ? `: ${output}` : ""}`;
}

// C0 and C1 controls, DEL, and the Unicode bidirectional overrides and isolates.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as printable lines: split at its line breaks, each line
 * {@link printable}, so multi-line output keeps its shape and forges nothing.
 */
export function printableLines(text: string): string[] {
  return text.split(/\r?\n/).map(printable);
}

/**
 * `text` without control characters (tabs and line breaks become spaces), so
 * that text from elsewhere (commit subjects, git's messages) cannot drive a
 * terminal, rewrite a line or forge log lines.
 */
export function printable(text: string): string {
  return text.replace(/[\t\n]/g, " ").replace(CONTROL, "");
}
