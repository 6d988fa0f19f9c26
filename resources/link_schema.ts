/**
 * The cookbook fields of a `link` (a symbolic link).
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, enumWithHints, requires } from "./_fields.ts";

/** The cookbook fields of a symbolic link. */
export const schema = z.strictObject({
  path: absolutePath.describe("Absolute path of the symbolic link."),
  target: z.string({ error: "expected the path the link points at" })
    .min(1, { error: "expected a non-empty target" })
    .refine((t) => !t.includes("\0"), { error: "a target cannot contain a NUL byte" })
    .optional()
    .describe(
      "What the link points at, as written (relative to the link's directory unless absolute); it need not exist.",
    ),
  state: enumWithHints(["present", "absent"], { link: 'did you mean "present"?' }).default(
    "present",
  )
    .describe("absent removes the link (never a file or directory)."),
  force: z.boolean().default(false).describe(
    "Replace a regular file or an empty directory at the path (otherwise that is a failure).",
  ),
  requires,
});

/** A link spec after validation. */
export type LinkSpec = z.infer<typeof schema>;
