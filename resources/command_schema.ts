/**
 * The cookbook fields of a `command` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, commandLine, requires } from "./_fields.ts";

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
    "Never show the command, its guards or its output (it needs a name); never cached.",
  ),
  readonly_guards: z.boolean().default(false)
    .describe("The unless/onlyif guards only look: `cm plan` may run them."),
  cwd: absolutePath.optional().describe("Working directory."),
  env: z.record(z.string(), z.string()).optional().describe("Extra environment variables."),
  timeout: z.number({ error: "expected a number of seconds" })
    .positive({ error: "expected a positive number of seconds" }).optional().describe(
      "Seconds before the command is killed.",
    ),
  requires,
});

/** A command spec after validation. */
export type CommandSpec = z.infer<typeof schema>;
