/**
 * Content in a few words for plans and reports: its size and line count,
 * never the content itself ("120 B, 4 lines", "1.5 KiB, 40 lines",
 * "5 B, binary").
 *
 * @module
 */

/** `bytes` as "120 B", "1.5 KiB", "2.0 MiB" (1024-based). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Lines of text: newlines, plus one for an unterminated last line. */
function lineCount(data: Uint8Array): number {
  let lines = 0;
  for (const byte of data) if (byte === 0x0a) lines++;
  return data.length && data[data.length - 1] !== 0x0a ? lines + 1 : lines;
}

/** "120 B, 4 lines"; "5 B, binary" when the content holds a NUL byte. */
export function contentSummary(data: Uint8Array): string {
  if (data.includes(0)) return `${formatSize(data.length)}, binary`;
  const lines = lineCount(data);
  return `${formatSize(data.length)}, ${lines} line${lines === 1 ? "" : "s"}`;
}
