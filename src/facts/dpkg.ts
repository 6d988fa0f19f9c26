/**
 * What dpkg knows of installed packages (its status file, else `dpkg-query`),
 * and Debian version order (`dpkg --compare-versions`).
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
    "--",
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

/** dpkg's database in its default admindir (dpkg-query(1) `--admindir`). */
export const DPKG_STATUS = "/var/lib/dpkg/status";

/**
 * The first record of dpkg's journal: while dpkg runs (or after it was
 * killed) its newest changes are in `updates/`, which dpkg-query merges in.
 */
export const DPKG_JOURNAL = "/var/lib/dpkg/updates/0000";

/** `db:Status-Abbrev` letters of the Status words (deb-status(5), dpkg-query(1)). */
const WANT: Record<string, string> = {
  unknown: "u",
  install: "i",
  hold: "h",
  deinstall: "r",
  purge: "p",
};
const STATE: Record<string, string> = {
  "not-installed": "n",
  "config-files": "c",
  "half-installed": "H",
  unpacked: "U",
  "half-configured": "F",
  "triggers-awaited": "W",
  "triggers-pending": "t",
  installed: "i",
};

/**
 * `Status: install ok installed` → "ii ", `deinstall reinstreq half-installed`
 * → "rHR"; `undefined` for a package gone for good (not-installed, ok, not
 * wanted: dpkg-query says "un ", as of any name it has only heard of) and
 * for a Status it cannot read.
 */
function abbrevOf(status: string): string | undefined {
  const [want, flag, state] = status.trim().split(/\s+/);
  if (!(want in WANT) || !(state in STATE)) return undefined;
  if (state === "not-installed" && flag === "ok" && want !== "install" && want !== "hold") {
    return undefined;
  }
  return WANT[want] + STATE[state] + (flag === "reinstreq" ? "R" : " ");
}

/** Whether a name or architecture is a dpkg-query pattern (fnmatch(3): `*`, `?`, `[...]`, `\\`). */
function isPattern(text: string): boolean {
  return /[*?[\\]/.test(text);
}

/** A test of names against an exact name or a pattern. */
function matcher(text: string): (name: string) => boolean {
  if (!isPattern(text)) return (name) => name === text;
  const source = text.replace(
    /\\(.)|(\*)|(\?)|(\[!?[^\]]*\])|([.+^${}()|\]])/g,
    (_, escaped, star, mark, range, special) =>
      escaped !== undefined
        ? `\\u{${escaped.codePointAt(0)!.toString(16)}}`
        : star
        ? ".*"
        : mark
        ? "."
        : range
        ? range.replace(/^\[!/, "[^")
        : `\\${special}`,
  );
  const regexp = new RegExp(`^${source}$`, "u");
  return (name) => regexp.test(name);
}

/** The value of `field` (lower-case) in one deb822 stanza, first line only. */
function fieldOf(stanza: string, field: string): string | undefined {
  for (const line of stanza.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line[0] !== " " && line[0] !== "\t") {
      if (line.slice(0, colon).toLowerCase() === field) return line.slice(colon + 1).trim();
    }
  }
  return undefined;
}

/**
 * Reads dpkg's status file (deb822 stanzas, see deb-status(5)) for the
 * entries `dpkg-query -W NAME...` prints: `Package`, `Architecture`,
 * `Version`, and `Status` ("want flag state") as its `db:Status-Abbrev`.
 * Specs are `name[:arch]`, either part a dpkg-query pattern; a bare name
 * matches every architecture (multi-arch packages appear once per
 * architecture). Sorted by name, then architecture, as dpkg-query prints
 * them. The "un " entries dpkg-query prints (packages it only knows from
 * other packages' relations or the `available` file, or gone for good) are
 * left out: like a missing entry, they mean absent.
 */
export function parseDpkgStatus(text: string, specs: string[]): DpkgEntry[] {
  const matchers = specs.map((spec) => {
    const [name, arch] = spec.split(":");
    return { name: matcher(name), arch: arch === undefined ? () => true : matcher(arch) };
  });
  const entries: DpkgEntry[] = [];
  for (const stanza of text.split("\n\n")) {
    // dpkg writes Package first; only the stanzas of names asked for are read further.
    const name = /^package:[ \t]*(\S+)/im.exec(stanza)?.[1];
    const named = name ? matchers.filter((m) => m.name(name)) : [];
    if (!name || named.length === 0) continue;
    const arch = fieldOf(stanza, "architecture") ?? "";
    const abbrev = abbrevOf(fieldOf(stanza, "status") ?? "");
    if (!abbrev || !named.some((m) => m.arch(arch))) continue;
    entries.push({ name, arch, version: fieldOf(stanza, "version") ?? "", abbrev });
  }
  return entries.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0
  );
}

/**
 * The installed packages matching `names` (`name[:arch]`, dpkg-query
 * patterns allowed), read from dpkg's status file ({@link parseDpkgStatus}):
 * no process. dpkg-query answers instead ({@link dpkgQueryArgv}) when the
 * file cannot be read (dpkg configured with another admindir) or dpkg's
 * journal holds changes not yet in it (dpkg running, or killed). dpkg-query
 * exits 1 when some names match nothing, which is no error: those are simply
 * missing.
 *
 * @throws {Error} "dpkg-query exited N: tail" for any other failure.
 */
export async function queryDpkg(probe: Probe, names: string[]): Promise<DpkgEntry[]> {
  const status = probe.stat(DPKG_JOURNAL) ? null : readStatus(probe);
  if (status !== null) return parseDpkgStatus(status, names);
  const result = await probe.run(dpkgQueryArgv(names));
  if (result.code !== 0 && result.code !== 1) throw new Error(exitedWith("dpkg-query", result));
  return parseDpkgQuery(result.stdout);
}

/** The status file's text, or `null` when it is missing or cannot be read. */
function readStatus(probe: Probe): string | null {
  try {
    const data = probe.readFile(DPKG_STATUS);
    return data && new TextDecoder().decode(data);
  } catch {
    return null;
  }
}

/**
 * The installed packages (dpkg's status "installed") named `name` or
 * providing it (`Provides: cron-daemon`, versioned or not), sorted; `null`
 * when the status file cannot be read or dpkg's journal holds changes not in
 * it yet (then nothing can be said).
 */
export function installedProviders(probe: Probe, name: string): string[] | null {
  if (probe.stat(DPKG_JOURNAL)) return null;
  const text = readStatus(probe);
  if (text === null) return null;
  const found = new Set<string>();
  for (const stanza of text.split("\n\n")) {
    const pkg = fieldOf(stanza, "package");
    const abbrev = abbrevOf(fieldOf(stanza, "status") ?? "");
    if (!pkg || !abbrev || statusOf(abbrev) !== "installed") continue;
    const provides = (fieldOf(stanza, "provides") ?? "").split(",")
      .map((p) => p.trim().split(/[\s(:]/)[0]);
    if (pkg === name || provides.includes(name)) found.add(pkg);
  }
  return [...found].sort();
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
