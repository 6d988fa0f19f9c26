/**
 * The cookbook fields of a `command` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, commandLine, requires } from "./_fields.ts";
import { seconds } from "./duration.ts";

/**
 * `readonly_guards: true` was the opt-in to run guards in plans; that is now
 * the default. An alias would have to turn its old default `false` into
 * `plan_guards: false`, so it is refused where it stands, with the fix.
 */
const REMOVED_READONLY_GUARDS =
  "readonly_guards was removed: guards run in plans now; delete it, or set plan_guards: false for a guard that changes the machine";

/** The cookbook fields of a command. */
export const schema = z.strictObject({
  command: commandLine.describe(
    "A string split into arguments like a shell would (no expansion) or a list; with shell: true, a /bin/sh script.",
  ),
  name: z.string().min(1).optional().describe("A name for messages and requires: command[name]."),
  sudo: z.boolean().default(false).describe("Run through sudo when cm is not already root."),
  shell: z.boolean().default(false).describe("Run the command (and guards) with /bin/sh -c."),
  creates: absolutePath.optional().describe("Skip when this path exists."),
  unless: commandLine.optional().describe("Skip when this command exits 0."),
  onlyif: commandLine.optional().describe("Run only when this command exits 0."),
  sensitive: z.boolean().default(false).describe(
    "Never show the command, its guards or its output (it needs a name); its catalog is sealed.",
  ),
  plan_guards: z.boolean().default(true).describe(
    "Run the unless/onlyif guards in `cm plan` too; false when a guard changes the machine (the plan then says the guard was not run).",
  ),
  readonly_guards: z.never({ error: REMOVED_READONLY_GUARDS }).optional().describe(
    "Removed: guards run in plans by default; use plan_guards: false to keep a guard out of plans.",
  ),
  run_on: z.array(z.string()).min(1).optional().describe(
    "Paths or resource ids: run only as a handler, once at the end of a run in which any of " +
      "them changed (after the services' restarts are due, in the order the triggers changed); " +
      "a run that fails it leaves it pending and later runs retry it until it succeeds.",
  ),
  cwd: absolutePath.optional().describe("Working directory."),
  env: z.record(z.string(), z.string()).optional().describe("Extra environment variables."),
  timeout: seconds(0.001, 2_147_483, "expected 0.001 to 2147483 seconds (about 24 days)")
    .optional().describe("Seconds before the command is killed (0.001 to 2147483)."),
  requires,
});

/** A command spec after validation. */
export type CommandSpec = z.infer<typeof schema>;
