/**
 * `directory`: a directory with owner, group and mode; parents are created.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, accountName, octalMode, requires } from "./_fields.ts";

/** The cookbook fields of a directory (`configure.directories` items). */
export const directorySchema = z.strictObject({
  path: absolutePath.describe("Absolute path of the directory; missing parents are created."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0755".'),
  requires,
});

/** A directory spec after validation. */
export type DirectorySpec = z.infer<typeof directorySchema>;
