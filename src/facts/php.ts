/**
 * The PHP version a machine runs, or would run once PHP is installed.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { findPolicy, parsePolicy, policyArgv } from "./apt_cache.ts";
import { compareVersions, type DpkgEntry, queryDpkg, statusOf } from "./dpkg.ts";
import { readOsRelease } from "./os.ts";

/** The PHP version each release ships, for machines whose apt lists are still empty. */
export const RELEASE_PHP: Record<string, string> = {
  "debian 11": "7.4",
  "debian 12": "8.2",
  "debian 13": "8.4",
  "ubuntu 20.04": "7.4",
  "ubuntu 22.04": "8.1",
  "ubuntu 24.04": "8.3",
};

/**
 * The highest PHP version among installed `phpX.Y-*` packages: removed
 * packages whose configuration files remain ("rc") do not count.
 */
export function installedPhp(entries: DpkgEntry[]): string | undefined {
  const versions = entries.flatMap((entry) => {
    const php = /^php(\d+\.\d+)-/.exec(entry.name);
    return php && statusOf(entry.abbrev) === "installed" ? [php[1]] : [];
  });
  return versions.sort(compareVersions).at(-1);
}

/** `8.2` of the candidate `2:8.2+93` of the `php` package, or `undefined`. */
export function candidatePhp(policyStdout: string): string | undefined {
  const candidate = findPolicy(parsePolicy(policyStdout), "php")?.candidate ?? "";
  return /^(?:\d+:)?(\d+\.\d+)\+/.exec(candidate)?.[1];
}

/**
 * The PHP version (`8.2`): of the installed PHP-FPM or CLI, else of apt's
 * candidate, else the one the release ships ({@link RELEASE_PHP}).
 *
 * @throws {Error} when PHP is not installed, apt has no candidate and the
 *   release is not one cm knows.
 */
export async function phpVersion(probe: Probe): Promise<string> {
  const installed = await queryDpkg(probe, ["php*-fpm", "php*-cli"]).catch(() => []);
  const fromDpkg = installedPhp(installed);
  if (fromDpkg) return fromDpkg;
  const fromApt = candidatePhp((await probe.run(policyArgv(["php"]))).stdout);
  if (fromApt) return fromApt;
  // A fresh machine often has empty apt lists (cloud and container images): the
  // package resource runs apt-get update before installing, but facts are read
  // before that, so fall back to the release's own PHP.
  const os = readOsRelease(probe);
  const release = RELEASE_PHP[`${os.ID} ${os.VERSION_ID}`];
  if (release) return release;
  throw new Error(
    `PHP is not installed, apt has no candidate for package "php" (run apt-get update?) and ${
      os.ID ?? "this system"
    } ${os.VERSION_ID ?? ""} is not a release whose PHP version cm knows`.replace(/ {2,}/, " "),
  );
}
