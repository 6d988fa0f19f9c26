/**
 * The cookbook fields of a `directory` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, accountName, enumWithHints, octalMode, requires } from "./_fields.ts";

/** The cookbook fields of a directory (`configure.directories` items). */
export const schema = z.strictObject({
  path: absolutePath.describe("Absolute path of the directory; missing parents are created."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0755".'),
  state: enumWithHints(["present", "absent"], {
    directory: 'did you mean "present"?',
    purged: 'did you mean "absent"? (with force: true to remove what it holds)',
  }).default("present").describe(
    "absent removes the directory; one that is not empty only with force: true. " +
      "Never / or a top-level directory.",
  ),
  force: z.boolean().default(false).describe(
    "With state: absent, remove everything in the directory too (links removed, never " +
      "followed). A snapshot keeps up to 10,000 entries and 64 MiB for cm rollback; past that " +
      "only the directory itself comes back, and the plan says so.",
  ),
  requires,
});

/** A directory spec after validation. */
export type DirectorySpec = z.infer<typeof schema>;
