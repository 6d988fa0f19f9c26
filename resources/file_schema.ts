/**
 * The cookbook fields of a `file` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { absolutePath, accountName, enumWithHints, noNul, octalMode, requires } from "./_fields.ts";

/** The cookbook fields of a file (the seed's `configure.files` items). */
export const schema = z.strictObject({
  path: absolutePath.describe("Absolute path of the file."),
  content: z.string().optional().describe("Content; {{ var }} and {{ facts.x }} are filled in."),
  source: z.string().optional()
    .describe("A file copied verbatim, relative to the cookbook; must stay inside its repository."),
  template: z.string().optional()
    .describe("Like source, but {{ var }} placeholders are filled in."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0644".'),
  state: enumWithHints(["present", "absent"], {
    directory: "a directory is declared under configure.directories",
    link: "a symbolic link is declared under configure.links",
    file: 'did you mean "present"?',
    touch: 'did you mean "present"?',
  }).default("present").describe("absent removes the file."),
  validate: z.string().regex(/%s/, {
    error: 'expected a command containing %s, e.g. "nginx -t -c %s"',
  }).check(noNul)
    .optional()
    .describe(
      "Command run on the new content (a temporary file, at %s) before it replaces the file; " +
        "non-zero refuses it. The content is checked alone, so this suits whole files " +
        '("nginx -t -c %s" for nginx.conf, "visudo -cf %s" for a sudoers file); a snippet that ' +
        "only makes sense inside its includer (an nginx site) is checked with the whole " +
        "configuration by a health check instead (command: [nginx, -t]): a failure rolls the change back.",
    ),
  sensitive: z.boolean().default(false).describe("Never print or diff the content."),
  requires,
});

/** A file spec after loading: `source`/`template` resolved to `sourcePath`/`content`. */
export type FileSpec = z.infer<typeof schema> & {
  /** Absolute path of a verbatim `source`, resolved by the loader. */
  sourcePath?: string;
  /** Absolute path of the `template` that was rendered into `content`, resolved by the loader. */
  templatePath?: string;
  /** sha256 (hex) of `content`, derived when the cookbooks load (`file.prepare`); never for sensitive content. */
  contentSha256?: string;
};
