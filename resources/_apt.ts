/**
 * Internals of the `package` and `apt_repository` resources: the argv cm
 * runs, parsers for what dpkg-query and apt-cache print, and `apt-get update`.
 *
 * @module
 */
import type { Executor } from "../src/exec/executor.ts";
import type { ResourceContext } from "./resource.ts";
import { tail } from "./_output.ts";

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

/** One `dpkg-query` call reads every package of a batch. */
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

/** What `apt-cache policy` says of one package. */
export interface Policy {
  /** The version `apt-get install` would pick, `null` for "(none)". */
  candidate: string | null;
  /** Every version in the version table. */
  versions: string[];
}

/** One `apt-cache policy` call reads candidates for every package that needs one. */
export function policyArgv(names: string[]): string[] {
  return ["apt-cache", "policy", ...names];
}

/**
 * Parses `apt-cache policy` output into name → policy. Packages apt does not
 * know are simply missing from the output (and so from the map).
 */
export function parsePolicy(stdout: string): Map<string, Policy> {
  const policies = new Map<string, Policy>();
  let current: Policy | undefined;
  for (const line of stdout.split("\n")) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      current = { candidate: null, versions: [] };
      policies.set(head[1], current);
      continue;
    }
    if (!current) continue;
    const candidate = /^ {2}Candidate: (.+)$/.exec(line);
    if (candidate) {
      current.candidate = candidate[1] === "(none)" ? null : candidate[1];
      continue;
    }
    // "     1.2.3-1ubuntu2 500 (phased 20%)": Ubuntu appends the phasing of an update.
    const version = /^ (?:\*\*\*| {3}) (\S+) -?\d+(?: \(.*\))?$/.exec(line);
    if (version) current.versions.push(version[1]);
  }
  return policies;
}

/** Looks a spec name up in parsed policies (`nginx:amd64` may print as `nginx`). */
export function findPolicy(policies: Map<string, Policy>, spec: string): Policy | undefined {
  return policies.get(spec) ?? policies.get(spec.split(":")[0]);
}

/** One package version that provides a (virtual) package. */
export interface Provider {
  /** The providing package, `name:arch` for a foreign architecture. */
  name: string;
  version: string;
}

/** One `apt-cache showpkg` call tells what provides every name without a candidate. */
export function showpkgArgv(names: string[]): string[] {
  return ["apt-cache", "showpkg", ...names];
}

/**
 * Parses `apt-cache showpkg` output into name → the "Reverse Provides:"
 * section: one `name version (= provided-version)` line per providing package
 * version. Names apt does not know are missing; a real package usually maps
 * to an empty list.
 */
export function parseReverseProvides(stdout: string): Map<string, Provider[]> {
  const provides = new Map<string, Provider[]>();
  let list: Provider[] = [];
  let inSection = false;
  for (const line of stdout.split("\n")) {
    const head = /^Package: (\S+)$/.exec(line);
    if (head) {
      list = [];
      provides.set(head[1], list);
      inSection = false;
    } else if (/^Reverse Provides:/.test(line)) inSection = true;
    else if (inSection) {
      const provider = /^(\S+) (\S+)/.exec(line);
      if (provider) list.push({ name: provider[1], version: provider[2] });
    }
  }
  return provides;
}

/** Options every apt-get run gets: no questions, keep changed config files, wait for the lock. */
export const APT_GET = [
  "apt-get",
  "-q",
  "-y",
  "-o",
  "Dpkg::Options::=--force-confdef",
  "-o",
  "Dpkg::Options::=--force-confold",
  "-o",
  "DPkg::Lock::Timeout=120",
];

/**
 * The environment of apt-get: no debconf questions, no apt-listchanges pager,
 * and needrestart (Ubuntu) only lists services: restarting them is cm's job.
 */
export const APT_ENV = {
  DEBIAN_FRONTEND: "noninteractive",
  APT_LISTCHANGES_FRONTEND: "none",
  NEEDRESTART_MODE: "l",
};

/** Files whose mtime tells when the package lists were last refreshed. */
export const LISTS_STAMPS = ["/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"];

/** Package lists older than this are refreshed before installing. */
export const LISTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const UPDATE_TIMEOUT_MS = 10 * 60 * 1000;
const UPDATE_STAMP = "/var/lib/apt/periodic/update-success-stamp";

/** Per-run memory: `apt-get update` runs at most once per run (one context per run). */
const updatedRuns = new WeakSet<ResourceContext>();

/**
 * Runs `apt-get update` once per run (`again`: also when it already ran, after
 * sources changed); returns an error text when it failed.
 */
export async function updateLists(
  exec: Executor,
  ctx: ResourceContext,
  again = false,
): Promise<string | undefined> {
  if (updatedRuns.has(ctx) && !again) return undefined;
  updatedRuns.add(ctx);
  const result = await exec.run([...APT_GET, "update"], {
    env: APT_ENV,
    onLine: (line) => ctx.progress(line),
    timeoutMs: UPDATE_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    const error = `apt-get update exited ${result.code}: ${tail(result.stderr || result.stdout)}`;
    ctx.warnOnce(`the package lists could not be refreshed: ${error}`);
    return error;
  }
  // Remember the refresh where apt's own periodic job does, so the next run sees fresh lists.
  try {
    if (!exec.stat("/var/lib/apt/periodic")) exec.mkdir("/var/lib/apt/periodic", {});
    exec.writeFile(UPDATE_STAMP, new Uint8Array(), { mode: 0o644 });
  } catch { /* only an optimisation: the lists directory mtime still tells */ }
  return undefined;
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
