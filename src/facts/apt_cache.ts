/**
 * What apt's package lists say: candidates and versions (`apt-cache policy`),
 * and what provides a virtual package (`apt-cache showpkg`).
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { exitedWith } from "../exec/output.ts";

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

/**
 * Runs {@link policyArgv} and parses it.
 *
 * @throws {Error} "apt-cache policy exited N: tail" when apt-cache fails.
 */
export async function queryPolicy(probe: Probe, names: string[]): Promise<Map<string, Policy>> {
  const result = await probe.run(policyArgv(names));
  if (result.code !== 0) throw new Error(exitedWith("apt-cache policy", result));
  return parsePolicy(result.stdout);
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

/**
 * Runs {@link showpkgArgv} and parses it.
 *
 * @throws {Error} "apt-cache showpkg exited N: tail" when apt-cache fails.
 */
export async function queryProviders(
  probe: Probe,
  names: string[],
): Promise<Map<string, Provider[]>> {
  const result = await probe.run(showpkgArgv(names));
  if (result.code !== 0) throw new Error(exitedWith("apt-cache showpkg", result));
  return parseReverseProvides(result.stdout);
}
