/**
 * The user and group databases: passwd(5) and group(5).
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";

/** One line of passwd(5). */
export interface PasswdEntry {
  name: string;
  uid: number;
  /** The primary group's gid. */
  gid: number;
  /** The comment (GECOS) field: full name and the like, often empty. */
  gecos: string;
  home: string;
  shell: string;
}

/** One line of group(5). */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Users listed as supplementary members (not those whose primary group it is). */
  members: string[];
}

/** The numeric field, or `undefined` when it is not a non-negative integer. */
function id(field: string | undefined): number | undefined {
  return field !== undefined && /^\d+$/.test(field) ? Number(field) : undefined;
}

/** The colon-separated lines of a database file; comments, blank and NIS `+`/`-` lines are skipped. */
function records(text: string, fields: number): string[][] {
  return text.split("\n")
    .filter((line) => line.trim() !== "" && !/^[#+-]/.test(line))
    .map((line) => line.split(":"))
    .filter((parts) => parts.length === fields);
}

/** Parses passwd(5) text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  return records(text, 7).flatMap(([name, , uid, gid, gecos, home, shell]) => {
    const u = id(uid);
    const g = id(gid);
    return u === undefined || g === undefined ? [] : [{ name, uid: u, gid: g, gecos, home, shell }];
  });
}

/** Parses group(5) text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  return records(text, 4).flatMap(([name, , gid, members]) => {
    const g = id(gid);
    return g === undefined ? [] : [{ name, gid: g, members: members ? members.split(",") : [] }];
  });
}

const decoder = new TextDecoder();

/** The users of `/etc/passwd` (local accounts only, not NSS sources like LDAP). */
export function readPasswd(probe: Probe): PasswdEntry[] {
  return parsePasswd(decoder.decode(probe.readFile("/etc/passwd") ?? new Uint8Array()));
}

/** The groups of `/etc/group` (local groups only, not NSS sources like LDAP). */
export function readGroup(probe: Probe): GroupEntry[] {
  return parseGroup(decoder.decode(probe.readFile("/etc/group") ?? new Uint8Array()));
}
