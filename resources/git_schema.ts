/**
 * The cookbook fields of a `git` working copy.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, accountName, noNul, requires } from "./_fields.ts";

/** A branch or tag name as git allows it, and never an option. */
const refName = (what: string) =>
  z.string({ error: `expected a ${what} name` }).regex(
    /^(?![-/.])(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/+@-]+(?<![/.])$/,
    { error: `expected a ${what} name like "main" or "v1.2.0" (not starting with - / or .)` },
  );

/** The cookbook fields of a git working copy. */
export const schema = z.strictObject({
  path: absolutePath.describe("Absolute path of the working copy."),
  repo: z.string({ error: "expected a repository URL" }).regex(/^[^-\s][^\s]*$/, {
    error: "expected a repository URL or path (no spaces, not starting with -)",
  }).check(noNul).describe(
    "Repository to clone: https://..., ssh://..., git@host:path or a local path.",
  ),
  branch: refName("branch").optional().describe("Follow this branch: its newest commit."),
  tag: refName("tag").optional().describe("Check out this tag."),
  commit: z.string().regex(/^[0-9a-f]{40}$/, {
    error: "expected a full commit id (40 hexadecimal digits)",
  }).optional().describe("Check out exactly this commit (full id)."),
  owner: accountName.optional().describe(
    "The user git runs as and who owns the working copy (default root).",
  ),
  force: z.boolean().default(false).describe(
    "Discard local changes to tracked files; without it they make the resource fail.",
  ),
  requires,
});

/** A git spec after validation. */
export type GitSpec = z.infer<typeof schema>;
