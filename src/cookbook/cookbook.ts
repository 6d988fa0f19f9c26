/**
 * What a loaded cookbook is: resources with ids and positions, in declared
 * order. (Loading lives in load.ts; this module needs no YAML parser.)
 *
 * @module
 */
import type { ResourceKind } from "../../resources/resource.ts";
import type { Position } from "./errors.ts";

/** One resource of a loaded cookbook. */
export interface Resource {
  kind: ResourceKind;
  /** `file[/etc/nginx/nginx.conf]` */
  id: string;
  // deno-lint-ignore no-explicit-any
  spec: any;
  /** Where it was written. */
  at: Position;
  /** YAML path, e.g. `configure.files[0]`. */
  path: string;
  /** Section index in run order (0 = pre_install ... the last = services). */
  phase: number;
}

/** Cookbooks loaded together: every file read and their resources in declared order. */
export interface Cookbook {
  name: string;
  version?: string;
  description?: string;
  /** Every cookbook file read, includes first. */
  files: string[];
  resources: Resource[];
  /** What the result was made from: the cache of loaded cookbooks checks these. */
  inputs: CookbookInputs;
}

/** Everything a loaded cookbook depends on besides cm itself. */
export interface CookbookInputs {
  /** The cookbook paths asked for, as given. */
  requested: string[];
  /** Every file read: cookbooks, includes, templates. */
  files: string[];
  /** The facts used, by name, with the values they had. */
  facts: Record<string, unknown>;
}

/**
 * Resolves a `requires` / `restart_on` entry (an id, or a bare path meaning the
 * file or directory at it) to a resource id, or `undefined` when none matches.
 */
export function resolveTarget(
  target: string,
  ids: { has(id: string): boolean },
): string | undefined {
  if (ids.has(target)) return target;
  for (const kind of ["file", "directory", "package", "service", "command"]) {
    if (ids.has(`${kind}[${target}]`)) return `${kind}[${target}]`;
  }
  return undefined;
}

/** `path` made absolute against `base` (the working directory) and normalised. */
export function absolute(path: string, base = Deno.cwd()): string {
  const joined = path.startsWith("/") ? path : `${base}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "..") parts.pop();
    else if (part && part !== ".") parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** The directory part of an absolute path. */
export function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Finds the directory that bounds `source:` paths: the git work tree, else the cookbook's folder. */
export function repoRoot(file: string): string {
  for (let dir = dirOf(file);; dir = dirOf(dir)) {
    try {
      Deno.statSync(`${dir}/.git`);
      return dir;
    } catch { /* keep climbing */ }
    if (dir === "/") return dirOf(file);
  }
}

/**
 * Resolves a `source` or `template` path as written in `cookbook`: it must
 * name a file inside the cookbook's repository, links resolved.
 */
export function repoFile(
  cookbook: string,
  field: "source" | "template" | "key",
  written: string,
): { path: string } | { error: string } {
  const root = repoRoot(cookbook);
  const wanted = absolute(written, dirOf(cookbook));
  const inside = (path: string) => path === root || path.startsWith(`${root}/`);
  const outside = (resolved?: string) => ({
    error: `expected a file inside the cookbook repository ${root}, got "${written}"${
      resolved ? ` (a link to ${resolved})` : ""
    }`,
  });
  if (!inside(wanted)) return outside();
  let real: string;
  try {
    real = Deno.realPathSync(wanted);
  } catch {
    const what = { source: "source file", template: "template", key: "key file" }[field];
    return { error: `${what} "${written}" not found (looked for ${wanted})` };
  }
  if (!inside(real)) return outside(real);
  if (!Deno.statSync(real).isFile) {
    return { error: `expected a file as ${field}, got a directory: "${written}"` };
  }
  return { path: real };
}
