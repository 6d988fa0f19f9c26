/**
 * Every resource kind's cookbook fields, as zod schemas with the `.describe()`
 * texts the reference is generated from. They live apart from the kinds'
 * behaviour so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { aptRepositorySchema } from "./apt_repository_schema.ts";
import { cronSchema } from "./cron_schema.ts";
import { gitSchema } from "./git_schema.ts";
import { groupSchema } from "./group_schema.ts";
import { linkSchema } from "./link_schema.ts";
import { userSchema } from "./user_schema.ts";
import {
  absolutePath,
  accountName,
  commandLine,
  enumWithHints,
  octalMode,
  requires,
} from "./_fields.ts";

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
  state: enumWithHints(["present", "absent", "purged"], {
    latest: "to upgrade to the newest version write version: latest",
    installed: 'did you mean "present"?',
    removed: 'did you mean "absent"?',
  }).default("present")
    .describe("present installs; absent removes; purged removes with configuration files."),
  requires,
});

/** A package spec after validation. */
export type PackageSpec = z.infer<typeof packageSchema>;

/** The cookbook fields of a service (the seed's `configure.services` items). */
export const serviceSchema = z.strictObject({
  name: z.string({ error: "expected a service name" }).regex(/^[A-Za-z0-9:_.@-]+$/, {
    error: 'expected a unit name like "nginx" or "php8.2-fpm.service"',
  }).describe('Unit name; ".service" is implied.'),
  state: enumWithHints(["started", "stopped", "restarted"], {
    running: 'did you mean "started"?',
    enabled: "to start it at boot write enabled: true",
    disabled: "to keep it from starting at boot write enabled: false",
  }).optional()
    .describe("started / stopped; restarted restarts on every run."),
  enabled: z.boolean().optional().describe("Start at boot (systemctl enable/disable)."),
  restart_on: z.array(z.string()).optional()
    .describe("Paths or resource ids: restart this service when any of them changed in the run."),
  reload_on: z.array(z.string()).optional()
    .describe("Paths or resource ids: reload this service when any of them changed in the run."),
  requires,
});

/** A service spec after validation. */
export type ServiceSpec = z.infer<typeof serviceSchema>;

/** The cookbook fields of a file (the seed's `configure.files` items). */
export const fileSchema = z.strictObject({
  path: absolutePath.describe("Absolute path of the file."),
  content: z.string().optional().describe("Content; {{ var }} and {{ facts.x }} are filled in."),
  source: z.string().optional()
    .describe("A file copied verbatim, relative to the cookbook; must stay inside its repository."),
  template: z.string().optional()
    .describe("Like source, but {{ var }} placeholders are filled in."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0644".'),
  state: z.enum(["present", "absent"]).default("present").describe("absent removes the file."),
  validate: z.string().regex(/%s/, {
    error: 'expected a command containing %s, e.g. "nginx -t -c %s"',
  })
    .optional()
    .describe(
      "Command run on the new content (at %s) before it replaces the file; non-zero refuses it.",
    ),
  sensitive: z.boolean().default(false).describe("Never print or diff the content."),
  requires,
});

/** A file spec after loading: `source`/`template` resolved to `sourcePath`/`content`. */
export type FileSpec = z.infer<typeof fileSchema> & {
  /** Absolute path of a verbatim `source`, resolved by the loader. */
  sourcePath?: string;
  /** Absolute path of the `template` that was rendered into `content`, resolved by the loader. */
  templatePath?: string;
};

/** The cookbook fields of a directory (`configure.directories` items). */
export const directorySchema = z.strictObject({
  path: absolutePath.describe("Absolute path of the directory; missing parents are created."),
  owner: accountName.optional().describe("Owner user name."),
  group: accountName.optional().describe("Group name."),
  mode: octalMode.optional().describe('Permissions as an octal string, e.g. "0755".'),
  requires,
});

/** A directory spec after validation. */
export type DirectorySpec = z.infer<typeof directorySchema>;

/** The cookbook fields of a command. */
export const commandSchema = z.strictObject({
  command: commandLine.describe(
    "A string split into arguments like a shell would (no expansion) or a list; with shell: true, a /bin/sh script.",
  ),
  name: z.string().min(1).optional().describe("A name for messages and requires: command[name]."),
  sudo: z.boolean().default(false).describe("Run through sudo when cm is not already root."),
  shell: z.boolean().default(false).describe("Run the command (and guards) with /bin/sh -c."),
  creates: absolutePath.optional().describe("Skip when this path exists."),
  unless: commandLine.optional().describe("Skip when this command exits 0."),
  onlyif: commandLine.optional().describe("Run only when this command exits 0."),
  sensitive: z.boolean().default(false).describe(
    "Never show the command, its guards or its output (it needs a name); never cached.",
  ),
  readonly_guards: z.boolean().default(false)
    .describe("The unless/onlyif guards only look: `cm plan` may run them."),
  cwd: absolutePath.optional().describe("Working directory."),
  env: z.record(z.string(), z.string()).optional().describe("Extra environment variables."),
  timeout: z.number({ error: "expected a number of seconds" })
    .positive({ error: "expected a positive number of seconds" }).optional().describe(
      "Seconds before the command is killed.",
    ),
  requires,
});

/** A command spec after validation. */
export type CommandSpec = z.infer<typeof commandSchema>;

/** Each kind's schema by kind name. */
export const SCHEMAS = {
  package: packageSchema,
  service: serviceSchema,
  file: fileSchema,
  directory: directorySchema,
  command: commandSchema,
  apt_repository: aptRepositorySchema,
  git: gitSchema,
  link: linkSchema,
  cron: cronSchema,
  group: groupSchema,
  user: userSchema,
} as const;
