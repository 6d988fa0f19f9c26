/**
 * The cookbook document schema: the seed design's format plus extensions.
 *
 * @module
 */
import { z } from "zod";
import {
  commandSchema,
  directorySchema,
  fileSchema,
  packageSchema,
  serviceSchema,
} from "../../resources/schemas.ts";
import { aptRepositorySchema } from "../../resources/apt_repository_schema.ts";
import { cronSchema } from "../../resources/cron_schema.ts";
import { gitSchema } from "../../resources/git_schema.ts";
import { groupSchema } from "../../resources/group_schema.ts";
import { linkSchema } from "../../resources/link_schema.ts";
import { userSchema } from "../../resources/user_schema.ts";

const list = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `expected a list of ${what}` }).optional();

/** A whole cookbook file. */
export const cookbookSchema = z.strictObject({
  name: z.string().optional().describe("Name of the configuration."),
  version: z.union([z.string(), z.number()]).optional().describe("Version of the cookbook."),
  description: z.string().optional().describe("What the cookbook sets up."),
  vars: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: "expected a variable name like app_port (letters, digits, _)",
    }),
    z.unknown(),
  ).optional().describe("Variables for {{ name }} placeholders."),
  include: list(z.string(), "cookbook paths").describe(
    "Other cookbooks (relative paths) whose resources come first.",
  ),
  install: z.strictObject({
    pre_install: list(commandSchema, "commands").describe(
      "Commands run first, before any package.",
    ),
    repositories: list(aptRepositorySchema, "apt repositories").describe(
      "apt repositories (deb822 sources and keyrings); apt-get update runs once when any changed.",
    ),
    install: list(packageSchema, "packages").describe(
      "apt packages, installed or removed in one transaction.",
    ),
    post_install: list(commandSchema, "commands").describe("Commands run after the packages."),
  }, { error: "expected a mapping with pre_install, repositories, install, post_install" })
    .optional()
    .describe(
      "Software: commands, repositories and packages, in the order pre_install, repositories, install, post_install.",
    ),
  configure: z.strictObject({
    groups: list(groupSchema, "groups").describe("Local groups, before the users."),
    users: list(userSchema, "users").describe(
      "Local users, before anything they own (directories, checkouts, files).",
    ),
    directories: list(directorySchema, "directories").describe(
      "Directories, created before the files.",
    ),
    checkouts: list(gitSchema, "git working copies").describe(
      "git working copies at a branch, tag or commit, after the directories.",
    ),
    files: list(fileSchema, "files").describe("Files: content, source or template; owner, mode."),
    links: list(linkSchema, "symbolic links").describe("Symbolic links, after the files."),
    cron_jobs: list(cronSchema, "cron entries").describe("Entries in /etc/cron.d."),
    services: list(serviceSchema, "services").describe(
      "systemd services, handled after every file.",
    ),
  }, {
    error:
      "expected a mapping with groups, users, directories, checkouts, files, links, cron_jobs, services",
  }).optional()
    .describe(
      "The machine's configuration: groups, users, directories, checkouts, files, links, cron jobs, then services.",
    ),
}, { error: "expected a mapping (name, install, configure, ...)" });

/** The field names an object schema accepts at `path` inside the cookbook, for "did you mean". */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: unknown = cookbookSchema;
  for (const part of [...path, null]) {
    // deno-lint-ignore no-explicit-any
    let def = (schema as any)?._zod?.def;
    while (def && (def.type === "optional" || def.type === "default" || def.type === "pipe")) {
      def = (def.innerType ?? def.in)?._zod?.def;
    }
    if (part === null) return def?.type === "object" ? Object.keys(def.shape) : [];
    if (def?.type === "object" && typeof part === "string") schema = def.shape[part];
    else if (def?.type === "array" && typeof part === "number") schema = def.element;
    else return [];
  }
  return [];
}
