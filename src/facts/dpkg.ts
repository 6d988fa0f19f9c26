/**
 * What dpkg knows of installed packages (`dpkg-query`), and Debian version
 * order (`dpkg --compare-versions`).
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { exitedWith } from "../exec/output.ts";

/** What dpkg knows of one installed (or once installed) package. */
export interface DpkgEntry {
  name: string;
  arch: string;
  version: string;
  /** The three-letter `db:Status-Abbrev`, e.g. "ii ", "rc ", "iU ". */
  abbrev: string;
}

/** The install state of a package as cm reports it. */
export type PackageStatus =
  | "installed"
  | "config-files"
  | "half-installed"
  | "absent"
  | "unknown";

/** One `dpkg-query` call reads every package (or glob pattern) of a batch. */
export function dpkgQueryArgv(names: string[]): string[] {
  return [
    "dpkg-query",
    "-W",
    "-f",
    "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n",
    ...names,
  ];
}

/** Parses the output of {@link dpkgQueryArgv}; lines it cannot read are skipped. */
export function parseDpkgQuery(stdout: string): DpkgEntry[] {
  const entries: DpkgEntry[] = [];
  for (const line of stdout.split("\n")) {
    const [name, arch, version, abbrev] = line.split("\t");
    if (!name || abbrev === undefined) continue;
    entries.push({ name, arch, version, abbrev });
  }
  return entries;
}

/**
 * Runs {@link dpkgQueryArgv} and parses it. dpkg-query exits 1 when some names
 * match nothing, which is no error: those are simply missing.
 *
 * @throws {Error} "dpkg-query exited N: tail" for any other failure.
 */
export async function queryDpkg(probe: Probe, names: string[]): Promise<DpkgEntry[]> {
  const result = await probe.run(dpkgQueryArgv(names));
  if (result.code !== 0 && result.code !== 1) throw new Error(exitedWith("dpkg-query", result));
  return parseDpkgQuery(result.stdout);
}

/**
 * The state of a status abbreviation: the second letter is dpkg's status
 * (n not-installed, c config-files, i installed, t/W triggers pending, U/F/H
 * unpacked or half-configured or half-installed).
 */
export function statusOf(abbrev: string): PackageStatus {
  switch (abbrev[1]) {
    case "i":
    case "t":
    case "W":
      return "installed";
    case "c":
      return "config-files";
    case "U":
    case "F":
    case "H":
      return "half-installed";
    default:
      return "absent";
  }
}

/**
 * The dpkg entry a spec name stands for: `nginx:arm64` matches that
 * architecture only; a bare name prefers an installed entry (a package
 * installed for two architectures shows up twice).
 */
export function findEntry(entries: DpkgEntry[], spec: string): DpkgEntry | undefined {
  const [name, arch] = spec.split(":");
  const matching = entries.filter((e) => e.name === name && (!arch || e.arch === arch));
  return matching.find((e) => statusOf(e.abbrev) === "installed") ??
    matching.find((e) => statusOf(e.abbrev) !== "absent") ?? matching[0];
}

/** A Debian version split into its parts: `[epoch:]upstream[-revision]`. */
function splitVersion(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(":");
  const epoch = colon >= 0 ? Number(version.slice(0, colon)) || 0 : 0;
  const rest = colon >= 0 ? version.slice(colon + 1) : version;
  const hyphen = rest.lastIndexOf("-");
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: "" };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** dpkg's sort weight of a non-digit: `~` first, then the end, letters, everything else. */
function order(c: number): number {
  if (c === 0 || isDigit(c)) return 0;
  if (isLetter(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's `verrevcmp`: compares one upstream version or revision. */
function verrevcmp(a: string, b: string): number {
  const at = (s: string, i: number) => i < s.length ? s.charCodeAt(i) : 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/**
 * Compares two Debian versions the way `dpkg --compare-versions` does:
 * negative when `a` is older than `b`, 0 when equal, positive when newer.
 */
export function compareVersions(a: string, b: string): number {
  const x = splitVersion(a);
  const y = splitVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}
