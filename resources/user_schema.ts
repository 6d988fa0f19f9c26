/**
 * The cookbook fields of a `user`.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, noNul, requires } from "./_fields.ts";
import { accountId, newAccountName } from "./group_schema.ts";

/** The cookbook fields of a user. */
export const schema = z.strictObject({
  name: newAccountName.describe("User name."),
  uid: accountId.optional().describe("User id; omitted, useradd picks one."),
  system: z.boolean().default(false).describe(
    "A system user (uid from the system range, no home directory unless create_home) when created.",
  ),
  group: newAccountName.optional().describe(
    "Primary group (it must exist); omitted, a new user gets a group of its own name.",
  ),
  groups: z.array(newAccountName).optional().describe(
    "Supplementary groups: exactly these, or at least these with append: true.",
  ),
  append: z.boolean().default(false).describe(
    "groups are a minimum: other memberships are kept.",
  ),
  home: absolutePath.optional().describe("Home directory; omitted, /home/NAME for a new user."),
  create_home: z.boolean().optional().describe(
    "Create the home directory with the user (and move it when home changes); default: true for normal users, false for system users.",
  ),
  shell: absolutePath.optional().describe("Login shell, e.g. /usr/sbin/nologin."),
  comment: z.string().refine((s) => !/[:\n]/.test(s), {
    error: 'a comment cannot contain ":" or a newline',
  }).check(noNul).optional().describe("The comment (GECOS) field, e.g. a full name."),
  state: z.enum(["present", "absent"]).default("present").describe(
    "absent deletes the user (its home directory and files stay).",
  ),
  requires,
});

/** A user spec after validation. */
export type UserSpec = z.infer<typeof schema>;
