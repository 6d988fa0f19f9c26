/**
 * The cookbook fields of a `directory` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, accountName, octalMode, requires } from "./_fields.ts";

/** The cookbook fields of a directory (`configure.directories` items). */
export const schema = z.strictObject({
  path: absolutePath.describe("Absolute path of the directory; missing parents are created."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0755".'),
  requires,
});

/** A directory spec after validation. */
export type DirectorySpec = z.infer<typeof schema>;
