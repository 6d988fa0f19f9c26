/**
 * THE registry: every resource kind, the cookbook section that holds it, and
 * its schema. The document schema, the run order, `requires` resolution,
 * conflict detection and the reference are all derived from this list.
 *
 * A new kind costs its file (`x.ts`, with `check` and `claims` when it needs
 * them), its schema file (`x_schema.ts`), its test file and one line here;
 * then `deno run -A scripts/reference.ts` regenerates the reference.
 *
 * @module
 */
import type { z } from "zod";
import type { ResourceKind } from "./resource.ts";
import { aptPackage } from "./apt_package.ts";
import { aptRepository } from "./apt_repository.ts";
import { command } from "./command.ts";
import { cron } from "./cron.ts";
import { directory } from "./directory.ts";
import { file } from "./file.ts";
import { git } from "./git.ts";
import { group } from "./group.ts";
import { link } from "./link.ts";
import { service } from "./service.ts";
import { user } from "./user.ts";

export type { Change, Mode, Outcome, ResourceContext, ResourceKind } from "./resource.ts";

/** A kind's schema module (`x_schema.ts`): its cookbook fields as one zod object. */
export interface SchemaModule {
  /** A strict zod object: the kind's fields, with `.describe()` texts and defaults. */
  schema: z.ZodType;
}

/** One cookbook section: where it sits, the kind of its items, what it is for. */
export interface Section {
  /** The YAML path of its list, group first: `["configure", "files"]`. */
  path: readonly [string, string];
  /** What its items are; several sections may hold one kind (pre_ and post_install). */
  kind: ResourceKind;
  /** The kind's zod schema, imported only when a cookbook is validated (no zod on a catalog hit). */
  schema: () => Promise<SchemaModule>;
  /** One line for the reference. */
  about: string;
}

/** The cookbook sections, in the order they run (a resource's `section` is its index here). */
export const SECTIONS: readonly Section[] = [
  {
    path: ["install", "pre_install"],
    kind: command,
    schema: () => import("./command_schema.ts"),
    about: "Commands run first, before any package.",
  },
  {
    path: ["install", "repositories"],
    kind: aptRepository,
    schema: () => import("./apt_repository_schema.ts"),
    about:
      "apt repositories (deb822 sources and keyrings); apt-get update runs once when any changed.",
  },
  {
    path: ["install", "install"],
    kind: aptPackage,
    schema: () => import("./apt_package_schema.ts"),
    about: "apt packages, installed or removed in one transaction.",
  },
  {
    path: ["install", "post_install"],
    kind: command,
    schema: () => import("./command_schema.ts"),
    about: "Commands run after the packages.",
  },
  {
    path: ["configure", "groups"],
    kind: group,
    schema: () => import("./group_schema.ts"),
    about: "Local groups, before the users.",
  },
  {
    path: ["configure", "users"],
    kind: user,
    schema: () => import("./user_schema.ts"),
    about: "Local users, before anything they own (directories, checkouts, files).",
  },
  {
    path: ["configure", "directories"],
    kind: directory,
    schema: () => import("./directory_schema.ts"),
    about: "Directories, created before the files.",
  },
  {
    path: ["configure", "checkouts"],
    kind: git,
    schema: () => import("./git_schema.ts"),
    about: "git working copies at a branch, tag or commit, after the directories.",
  },
  {
    path: ["configure", "files"],
    kind: file,
    schema: () => import("./file_schema.ts"),
    about: "Files: content, source or template; owner, mode.",
  },
  {
    path: ["configure", "links"],
    kind: link,
    schema: () => import("./link_schema.ts"),
    about: "Symbolic links, after the files.",
  },
  {
    path: ["configure", "cron_jobs"],
    kind: cron,
    schema: () => import("./cron_schema.ts"),
    about: "Entries in /etc/cron.d.",
  },
  {
    path: ["configure", "services"],
    kind: service,
    schema: () => import("./service_schema.ts"),
    about: "systemd services, handled after every file.",
  },
];

/** What each group of sections (the first part of a section's path) holds, for the reference. */
export const GROUPS: Readonly<Record<string, string>> = {
  install: "Software: commands, apt repositories and packages",
  configure: "The machine's configuration",
};

/** Every resource kind by its name ("package", "file", ...), in run order. */
export const KINDS: Readonly<Record<string, ResourceKind>> = Object.fromEntries(
  SECTIONS.map((s) => [s.kind.name, s.kind]),
);

/** The kind named `name`; throws for a name not in the registry (a bug: loading checks names). */
export function kindOf(name: string): ResourceKind {
  const found = KINDS[name];
  if (!found) throw new Error(`unknown resource kind "${name}"`);
  return found;
}
