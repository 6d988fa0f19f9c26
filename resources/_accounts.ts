/**
 * What the `user` and `group` kinds share: the names useradd and groupadd
 * take, and running those tools (to apply and to restore).
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import { readGroup, readPasswd } from "../src/facts/passwd.ts";
import { didYouMean } from "../src/text.ts";
import type { Outcome } from "./resource.ts";
import type { Before } from "./snapshot.ts";

/** A valid user or group name for useradd/groupadd: never an option, at most 32 characters. */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

/**
 * The failure for an owner or group the machine does not know, with the
 * closest local account as a guess: `user "wwwdata" does not exist: did you
 * mean "www-data"?`.
 */
export function noSuchAccount(type: "user" | "group", name: string, probe: Probe): string {
  const names = (type === "user" ? readPasswd(probe) : readGroup(probe)).map((a) => a.name);
  const guess = didYouMean(name, names);
  return `${type} "${name}" does not exist${guess ? `: did you mean "${guess}"?` : ""}`;
}

/** Runs an account tool (useradd, groupmod, ...): ok, or its exit code and output as the error. */
export async function runAccountTool(exec: Executor, argv: string[]): Promise<Outcome> {
  const result = await exec.run(argv, { ownGroup: true });
  return result.code === 0 ? { ok: true } : { ok: false, error: exitedWith(argv[0], result) };
}

/** Runs the commands that put an account back, in order, up to the first failure; none: as recorded. */
export async function restoreAccount(exec: Executor, argvs: string[][]): Promise<Outcome> {
  for (const argv of argvs) {
    const outcome = await runAccountTool(exec, argv);
    if (!outcome.ok) return outcome;
  }
  return { ok: true };
}

/** The failure of a restore handed another kind's record. */
export function notAccountRecord(before: Before, type: "user" | "group"): Promise<Outcome> {
  return Promise.resolve({ ok: false, error: `a ${before.type} record is not a ${type}` });
}
