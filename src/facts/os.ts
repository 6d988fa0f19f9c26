/**
 * The distribution, from os-release(5).
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";

/** Where os-release(5) lives: the first that exists wins. */
export const OS_RELEASE_PATHS = ["/etc/os-release", "/usr/lib/os-release"];

/**
 * Parses os-release(5) text into its fields (`ID`, `VERSION_ID`,
 * `VERSION_CODENAME`...), quotes removed; lines that are no assignment are skipped.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
    if (match) fields[match[1]] = match[3];
  }
  return fields;
}

/** The os-release fields of the machine; empty when neither file exists. */
export function readOsRelease(probe: Probe): Record<string, string> {
  for (const path of OS_RELEASE_PATHS) {
    const data = probe.readFile(path);
    if (data) return parseOsRelease(new TextDecoder().decode(data));
  }
  return {};
}
