/**
 * The cookbook fields of an `apt_repository` (a deb822 `.sources` file and
 * its keyring).
 *
 * @module
 */
import { z } from "zod";
import { requires } from "./_fields.ts";

/** A list of single words (a deb822 field's values). */
const words = (what: string, pattern = /^\S+$/) =>
  z.array(
    z.string().regex(pattern, { error: `expected ${what} without spaces` }),
    { error: `expected a list of ${what}` },
  ).min(1, { error: `expected at least one ${what}` });

/** The cookbook fields of an apt repository. */
export const schema = z.strictObject({
  name: z.string({ error: "expected a name for the .sources file" }).regex(
    /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
    {
      error: "expected a file name of letters, digits, _ . and - (not starting with - or .)",
    },
  ).describe("Names /etc/apt/sources.list.d/NAME.sources and /etc/apt/keyrings/NAME.gpg."),
  types: z.array(z.enum(["deb", "deb-src"])).min(1).default(["deb"])
    .describe('"deb" (binary packages) and/or "deb-src".'),
  uris: words("URI", /^[a-z][a-z0-9+.-]*:\S+$/).optional()
    .describe("Repository URIs, e.g. https://packages.sury.org/php/ or file:/srv/repo."),
  suites: words("suite").optional()
    .describe('Suites, e.g. bookworm; a suite ending in "/" is a flat repository (no components).'),
  components: words("component").optional().describe("Components, e.g. main."),
  architectures: words("architecture", /^[a-z0-9-]+$/).optional()
    .describe("Only these architectures, e.g. amd64."),
  key: z.string().min(1).optional().describe(
    "The repository's OpenPGP public key, a file in the cookbook repository (armored or binary); " +
      "written to /etc/apt/keyrings/NAME.gpg and named by Signed-By. Never fetched.",
  ),
  state: z.enum(["present", "absent"]).default("present")
    .describe("absent removes the .sources file and its keyring."),
  requires,
});

/** An apt repository spec after loading: `key` resolved to `keyPath` by the loader. */
export type AptRepositorySpec = z.infer<typeof schema> & {
  /** Absolute path of the `key` file, resolved by the loader. */
  keyPath?: string;
};
