/**
 * The local user and group databases, /etc/passwd and /etc/group, read
 * through a probe (the parsers stand in for src/facts/passwd.ts, which
 * replaces them with the same functions once merged), and the account tools
 * the `user` and `group` kinds run.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import type { Outcome } from "./resource.ts";
import { outputTail } from "./_output.ts";

/** One line of passwd(5). */
export interface PasswdEntry {
  name: string;
  uid: number;
  /** The primary group's gid. */
  gid: number;
  /** The comment (GECOS) field. */
  gecos: string;
  home: string;
  shell: string;
}

/** One line of group(5). */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Users listed as supplementary members. */
  members: string[];
}

/** The colon-separated records of a database file with `fields` fields; others are skipped. */
function records(text: string, fields: number): string[][] {
  return text.split("\n").filter((line) => line.trim() !== "" && !/^[#+-]/.test(line))
    .map((line) => line.split(":")).filter((parts) => parts.length === fields);
}

const isId = (field: string) => /^\d+$/.test(field);

/** Parses passwd(5) text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  return records(text, 7).flatMap(([name, , uid, gid, gecos, home, shell]) =>
    isId(uid) && isId(gid) ? [{ name, uid: Number(uid), gid: Number(gid), gecos, home, shell }] : []
  );
}

/** Parses group(5) text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  return records(text, 4).flatMap(([name, , gid, members]) =>
    isId(gid) ? [{ name, gid: Number(gid), members: members ? members.split(",") : [] }] : []
  );
}

const decoder = new TextDecoder();

/** The users of /etc/passwd. */
export function readPasswd(probe: Probe): PasswdEntry[] {
  return parsePasswd(decoder.decode(probe.readFile("/etc/passwd") ?? new Uint8Array()));
}

/** The groups of /etc/group. */
export function readGroup(probe: Probe): GroupEntry[] {
  return parseGroup(decoder.decode(probe.readFile("/etc/group") ?? new Uint8Array()));
}

/** A valid user or group name for useradd/groupadd: never an option, at most 32 characters. */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

/** Runs an account tool (useradd, groupmod, ...): ok, or its exit code and output as the error. */
export async function runAccountTool(exec: Executor, argv: string[]): Promise<Outcome> {
  const result = await exec.run(argv);
  if (result.code === 0) return { ok: true };
  return {
    ok: false,
    error: `${argv[0]} exited ${result.code}: ${outputTail(result.stdout, result.stderr)}`,
  };
}
