/**
 * The registry of resource kinds and the cookbook sections that hold them.
 *
 * @module
 */
import type { ResourceKind } from "./resource.ts";
import { aptPackage, packageSchema } from "./apt_package.ts";
import { command, commandSchema } from "./command.ts";
import { directory, directorySchema } from "./directory.ts";
import { file, fileSchema } from "./file.ts";
import { service, serviceSchema } from "./service.ts";

export type { Change, Mode, Outcome, ResourceContext, ResourceKind } from "./resource.ts";

/**
 * The cookbook sections in the order they run: pre_install → packages →
 * post_install → directories → files → services.
 */
export const SECTIONS = [
  { path: ["install", "pre_install"], kind: command, schema: commandSchema },
  { path: ["install", "install"], kind: aptPackage, schema: packageSchema },
  { path: ["install", "post_install"], kind: command, schema: commandSchema },
  { path: ["configure", "directories"], kind: directory, schema: directorySchema },
  { path: ["configure", "files"], kind: file, schema: fileSchema },
  { path: ["configure", "services"], kind: service, schema: serviceSchema },
] as const;

/** Every resource kind by its name ("package", "file", ...). */
export const KINDS: Record<string, ResourceKind> = Object.fromEntries(
  SECTIONS.map((s) => [s.kind.kind, s.kind as unknown as ResourceKind]),
);
