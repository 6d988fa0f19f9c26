/**
 * The cookbook fields of a `package` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { enumWithHints, requires } from "./_fields.ts";

/** The cookbook fields of a package (the seed's `install.install` items). */
export const schema = z.strictObject({
  package: z.string({ error: "expected a Debian package name" }).regex(
    /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/,
    { error: "expected a valid Debian package name (lowercase letters, digits, + - .)" },
  ).describe("Debian package name, e.g. nginx (optionally with :arch)."),
  version: z.string().regex(/^(latest|([0-9]+:)?[A-Za-z0-9.+~-]+)$/, {
    error: 'expected "latest" or a Debian version like "1.22.1-9"',
  }).optional().describe(
    '"latest" upgrades to the candidate version; a version pins it; omitted means any.',
  ),
  state: enumWithHints(["present", "absent", "purged"], {
    latest: "to upgrade to the newest version write version: latest",
    installed: 'did you mean "present"?',
    removed: 'did you mean "absent"?',
  }).default("present")
    .describe("present installs; absent removes; purged removes with configuration files."),
  install_recommends: z.boolean().optional().describe(
    "Also install the packages it recommends (apt's default); cm installs without them unless true.",
  ),
  requires,
});

/** A package spec after validation. */
export type PackageSpec = z.infer<typeof schema>;
