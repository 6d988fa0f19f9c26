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
  /** The name of the kind its items are (see {@link kindOf}); several sections may hold one kind. */
  kind: string;
  /** The kind's zod schema, imported only when a cookbook is validated (no zod on a catalog hit). */
  schema: () => Promise<SchemaModule>;
  /** One line for the reference. */
  about: string;
  /**
   * Kinds every item here waits for implicitly: each resource of theirs in the
   * run is a requirement, unless it requires this item in turn. One that
   * failed skips the item (packages wait for the run's apt repositories, so a
   * repository that failed does not let Debian's own package of the name in).
   */
  waitsFor?: readonly string[];
  /**
   * Kinds whose removals an item being removed waits for, the same way
   * (groupdel refuses a group that is still some user's primary group: a
   * group goes after the users the run deletes).
   */
  removalWaitsFor?: readonly string[];
  /**
   * Items being removed run before the section's others (a user removed frees
   * its uid for one created in the same run).
   */
  removalsFirst?: boolean;
}

/** The cookbook sections, in the order they run (a resource's `section` is its index here). */
export const SECTIONS: readonly Section[] = [
  {
    path: ["install", "pre_install"],
    kind: "command",
    schema: () => import("./command_schema.ts"),
    about: "Commands run first, before any package.",
  },
  {
    path: ["install", "repositories"],
    kind: "apt_repository",
    schema: () => import("./apt_repository_schema.ts"),
    about:
      "apt repositories (deb822 sources and keyrings); apt-get update runs once when any changed.",
  },
  {
    path: ["install", "install"],
    kind: "package",
    schema: () => import("./apt_package_schema.ts"),
    about:
      "apt packages, installed or removed in one transaction, after the run's repositories (a package waits for every one; one that failed skips it).",
    waitsFor: ["apt_repository"],
  },
  {
    path: ["install", "post_install"],
    kind: "command",
    schema: () => import("./command_schema.ts"),
    about: "Commands run after the packages.",
  },
  {
    path: ["configure", "groups"],
    kind: "group",
    schema: () => import("./group_schema.ts"),
    about: "Local groups, before the users (a group removed: after the users removed).",
    removalWaitsFor: ["user"],
  },
  {
    path: ["configure", "users"],
    kind: "user",
    schema: () => import("./user_schema.ts"),
    about:
      "Local users, before anything they own (directories, checkouts, files); those removed first.",
    removalsFirst: true,
  },
  {
    path: ["configure", "directories"],
    kind: "directory",
    schema: () => import("./directory_schema.ts"),
    about: "Directories, created before the files.",
  },
  {
    path: ["configure", "checkouts"],
    kind: "git",
    schema: () => import("./git_schema.ts"),
    about: "git working copies at a branch, tag or commit, after the directories.",
  },
  {
    path: ["configure", "files"],
    kind: "file",
    schema: () => import("./file_schema.ts"),
    about: "Files: content, source or template; owner, mode.",
  },
  {
    path: ["configure", "links"],
    kind: "link",
    schema: () => import("./link_schema.ts"),
    about: "Symbolic links, after the files.",
  },
  {
    path: ["configure", "cron_jobs"],
    kind: "cron",
    schema: () => import("./cron_schema.ts"),
    about: "Entries in /etc/cron.d.",
  },
  {
    path: ["configure", "services"],
    kind: "service",
    schema: () => import("./service_schema.ts"),
    about: "systemd services, handled after every file.",
  },
];

/** What each group of sections (the first part of a section's path) holds, for the reference. */
export const GROUPS: Readonly<Record<string, string>> = {
  install: "Software: commands, apt repositories and packages",
  configure: "The machine's configuration",
};

/** Each kind's module, loaded on demand: a run loads only the kinds its cookbook uses. */
const LOADERS: Readonly<Record<string, () => Promise<ResourceKind>>> = {
  command: () => import("./command.ts").then((m) => m.command as ResourceKind),
  apt_repository: () => import("./apt_repository.ts").then((m) => m.aptRepository as ResourceKind),
  package: () => import("./apt_package.ts").then((m) => m.aptPackage as ResourceKind),
  group: () => import("./group.ts").then((m) => m.group as ResourceKind),
  user: () => import("./user.ts").then((m) => m.user as ResourceKind),
  directory: () => import("./directory.ts").then((m) => m.directory as ResourceKind),
  git: () => import("./git.ts").then((m) => m.git as ResourceKind),
  file: () => import("./file.ts").then((m) => m.file as ResourceKind),
  link: () => import("./link.ts").then((m) => m.link as ResourceKind),
  cron: () => import("./cron.ts").then((m) => m.cron as ResourceKind),
  service: () => import("./service.ts").then((m) => m.service as ResourceKind),
};

/** Every kind's name ("package", "file", ...), in run order. */
export const KIND_NAMES: readonly string[] = [...new Set(SECTIONS.map((s) => s.kind))];

const loaded = new Map<string, ResourceKind>();

/**
 * Loads the kinds named in `names` (default: all) so that {@link kindOf}
 * hands them out.
 *
 * @throws {Error} for a name not in the registry (a bug: loading checks names)
 */
export async function loadKinds(names: Iterable<string> = KIND_NAMES): Promise<void> {
  await Promise.all(
    [...new Set(names)].filter((n) => !loaded.has(n)).map(async (name) => {
      const load = LOADERS[name];
      if (!load) throw new Error(`unknown resource kind "${name}"`);
      loaded.set(name, await load());
    }),
  );
}

/**
 * The kind named `name`, once {@link loadKinds} loaded it.
 *
 * @throws {Error} for a name not in the registry or not loaded yet (bugs)
 */
export function kindOf(name: string): ResourceKind {
  const found = loaded.get(name);
  if (found) return found;
  throw new Error(
    LOADERS[name]
      ? `resource kind "${name}" used before loadKinds`
      : `unknown resource kind "${name}"`,
  );
}
