/**
 * `package`: Debian packages through dpkg-query and apt-get, batched.
 *
 * @module
 */
import { z } from "zod";
import { requires } from "./_fields.ts";

/** The cookbook fields of a package (the seed's `install.install` items). */
export const packageSchema = z.strictObject({
  package: z.string({ error: "expected a Debian package name" }).regex(
    /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/,
    { error: "expected a valid Debian package name (lowercase letters, digits, + - .)" },
  ).describe("Debian package name, e.g. nginx (optionally with :arch)."),
  version: z.string().regex(/^(latest|([0-9]+:)?[A-Za-z0-9.+~-]+)$/, {
    error: 'expected "latest" or a Debian version like "1.22.1-9"',
  }).optional().describe(
    '"latest" upgrades to the candidate version; a version pins it; omitted means any.',
  ),
  state: z.enum(["present", "absent", "purged"]).default("present")
    .describe("present installs; absent removes; purged removes with configuration files."),
  requires,
});

/** A package spec after validation. */
export type PackageSpec = z.infer<typeof packageSchema>;
