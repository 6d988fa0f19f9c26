/**
 * The cookbook fields of a `group`.
 *
 * @module
 */
import { z } from "zod";
import { requires } from "./_fields.ts";
import { ACCOUNT_NAME } from "./_accounts.ts";

/** A user or group name as useradd and groupadd take it. */
export const newAccountName = z.string({ error: "expected a name" }).regex(ACCOUNT_NAME, {
  error:
    'expected a name like "app" or "www-data" (lowercase letters, digits, _ and -, not starting with - or a digit, at most 32 characters)',
});

/** A numeric user or group id. */
export const accountId = z.number({ error: "expected a number" }).int({
  error: "expected a whole number",
})
  .min(0, { error: "expected 0 or more" }).max(2 ** 32 - 2, {
    error: "expected at most 4294967294",
  });

/** The cookbook fields of a group. */
export const schema = z.strictObject({
  name: newAccountName.describe("Group name."),
  gid: accountId.optional().describe("Group id; omitted, groupadd picks one."),
  system: z.boolean().default(false).describe(
    "A system group (gid from the system range) when created.",
  ),
  state: z.enum(["present", "absent"]).default("present").describe("absent deletes the group."),
  requires,
});

/** A group spec after validation. */
export type GroupSpec = z.infer<typeof schema>;
