/**
 * The one rule by which a package's `version:` pin names versions, used both
 * to read (is the installed version the pinned one?) and to install
 * (`apt-get install pkg=FULL-VERSION`, since apt-get itself wants the exact
 * string, epoch included).
 *
 * A pin matches a version when, after dropping the version's epoch if the pin
 * has none (`9.0.1378-2+deb12u2` matches `2:9.0.1378-2+deb12u2`, as apt's
 * preferences allow):
 * - it is the version, or the version's upstream part without the Debian
 *   revision (`9.0.1378` matches `9.0.1378-2+deb12u2`); or
 * - it contains `*`, a glob over the whole version as in apt's
 *   `Pin: version 9.0*` (`*` matches any run of characters).
 *
 * @module
 */
import { compareVersions } from "./dpkg.ts";

function withoutEpoch(version: string): string {
  return version.replace(/^\d+:/, "");
}

function globRegExp(pin: string): RegExp {
  const body = pin.split("*").map((part) => part.replace(/[.+^${}()|[\]\\?]/g, "\\$&"));
  return new RegExp(`^${body.join(".*")}$`);
}

/** Whether `version` (a full Debian version) is one that `pin` names. */
export function pinMatches(pin: string, version: string): boolean {
  const v = pin.includes(":") ? version : withoutEpoch(version);
  if (pin.includes("*")) return globRegExp(pin).test(v);
  const hyphen = v.lastIndexOf("-");
  return v === pin || (hyphen > 0 && v.slice(0, hyphen) === pin);
}

/**
 * The full version to install for `pin` among `versions` (apt-cache policy's
 * version table): the candidate when it matches, else the newest match;
 * `undefined` when none matches.
 */
export function resolvePin(
  pin: string,
  versions: string[],
  candidate: string | null | undefined,
): string | undefined {
  const matching = versions.filter((v) => pinMatches(pin, v));
  if (candidate && matching.includes(candidate)) return candidate;
  return matching.sort(compareVersions).at(-1);
}

/** The reason no version matches, with the versions apt offered. */
export function noMatchingVersion(name: string, pin: string, versions: string[]): string {
  return `no candidate matches version "${pin}" of "${name}" (apt has: ${
    versions.join(", ") || "none"
  })`;
}
