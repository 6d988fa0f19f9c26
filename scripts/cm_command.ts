/**
 * The argv that runs cm from source under the shipped permission flags; used
 * by `deno task cm`, the tests and the benchmarks.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../src/permissions.ts";

/** Absolute path of main.ts. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The checkout's deno.json: its import map, whatever the working directory. */
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** `deno run <flags> main.ts ...args` as an argv (first element: the deno binary). */
export function cmCommand(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--config",
    CONFIG,
    ...PERMISSION_FLAGS,
    MAIN,
    ...args,
  ];
}
