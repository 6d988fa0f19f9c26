/**
 * The registry of resource kinds and the cookbook sections that hold them.
 * (Their zod schemas are in schemas.ts.)
 *
 * @module
 */
import type { ResourceKind } from "./resource.ts";
import { aptPackage } from "./apt_package.ts";
import { command } from "./command.ts";
import { directory } from "./directory.ts";
import { file } from "./file.ts";
import { service } from "./service.ts";

export type { Change, Mode, Outcome, ResourceContext, ResourceKind } from "./resource.ts";

/**
 * The cookbook sections in the order they run: pre_install → packages →
 * post_install → directories → files → services.
 */
export const SECTIONS = [
  { path: ["install", "pre_install"], kind: command },
  { path: ["install", "install"], kind: aptPackage },
  { path: ["install", "post_install"], kind: command },
  { path: ["configure", "directories"], kind: directory },
  { path: ["configure", "files"], kind: file },
  { path: ["configure", "services"], kind: service },
] as const;

/** Every resource kind by its name ("package", "file", ...). */
export const KINDS: Record<string, ResourceKind> = Object.fromEntries(
  SECTIONS.map((s) => [s.kind.kind, s.kind as unknown as ResourceKind]),
);
