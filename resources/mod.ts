/**
 * The registry of resource kinds and the cookbook sections that hold them.
 * (Their zod schemas are in schemas.ts.)
 *
 * @module
 */
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

/**
 * The cookbook sections in the order they run: pre_install → repositories →
 * packages → post_install → groups → users → directories → checkouts → files
 * → links → cron jobs → services.
 */
export const SECTIONS = [
  { path: ["install", "pre_install"], kind: command },
  { path: ["install", "repositories"], kind: aptRepository },
  { path: ["install", "install"], kind: aptPackage },
  { path: ["install", "post_install"], kind: command },
  { path: ["configure", "groups"], kind: group },
  { path: ["configure", "users"], kind: user },
  { path: ["configure", "directories"], kind: directory },
  { path: ["configure", "checkouts"], kind: git },
  { path: ["configure", "files"], kind: file },
  { path: ["configure", "links"], kind: link },
  { path: ["configure", "cron_jobs"], kind: cron },
  { path: ["configure", "services"], kind: service },
] as const;

/** Every resource kind by its name ("package", "file", ...). */
export const KINDS: Record<string, ResourceKind> = Object.fromEntries(
  SECTIONS.map((s) => [s.kind.kind, s.kind as unknown as ResourceKind]),
);
