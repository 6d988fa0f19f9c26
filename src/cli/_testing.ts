/**
 * Test helpers for the CLI layer.
 *
 * @module
 */
import type { Printer } from "./output.ts";

/** A printer that collects every line (stderr's as `stderr: LINE`) into `lines`, without colour. */
export function collectingPrinter(): { printer: Printer; lines: string[] } {
  const lines: string[] = [];
  const printer: Printer = {
    out: (line) => lines.push(line),
    err: (line) => lines.push(`stderr: ${line}`),
    color: false,
    verbosity: "normal",
    diff: false,
  };
  return { printer, lines };
}
