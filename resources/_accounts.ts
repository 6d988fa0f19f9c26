/**
 * What the `user` and `group` kinds share: the names useradd and groupadd
 * take, and running those tools.
 *
 * @module
 */
import type { Executor } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import type { Outcome } from "./resource.ts";

/** A valid user or group name for useradd/groupadd: never an option, at most 32 characters. */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

/** Runs an account tool (useradd, groupmod, ...): ok, or its exit code and output as the error. */
export async function runAccountTool(exec: Executor, argv: string[]): Promise<Outcome> {
  const result = await exec.run(argv);
  return result.code === 0 ? { ok: true } : { ok: false, error: exitedWith(argv[0], result) };
}
