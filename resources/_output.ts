/**
 * The end of a process's output, for error messages.
 *
 * @module
 */

/** The last `lines` non-empty lines of `text`, at most `bytes` characters. */
export function tail(text: string, lines = 5, bytes = 800): string {
  const kept = text.trimEnd().split("\n").filter((l) => l.trim() !== "").slice(-lines).join("\n");
  return kept.length > bytes ? `...${kept.slice(-bytes)}` : kept;
}

/** The end of stderr, or of stdout when stderr is empty: up to 20 lines / 2 KiB. */
export function outputTail(stdout: string, stderr: string): string {
  return tail(stderr.trim() ? stderr : stdout, 20, 2048) || "(no output)";
}
