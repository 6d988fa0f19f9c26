/**
 * Loading, stage 1: reads the cookbooks asked for and, first, everything they
 * include (depth first, each file once), as YAML that remembers positions.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { decodeUtf8, MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { formatPath } from "./problems.ts";
import { type Position, type Problem, wholeFile } from "../errors.ts";
import { absolute, repoFile, type Staged } from "./cookbook.ts";
import { DOCUMENT } from "./schema.ts";
import { parseYaml, positionOf, type YamlSource } from "./yaml_source.ts";

/** The parsed cookbook files, includes before their includers. */
export interface Parsed {
  /** One per file, includes before the cookbook including them. */
  sources: YamlSource[];
  /** Each cookbook's direct includes, as absolute paths. */
  includesOf: Map<string, string[]>;
  /** One per use of a file (a role included twice is two), includes before their includer. */
  instances: Instance[];
}

/** A cookbook as used once: asked for, or included (with the vars its include passes). */
export interface Instance {
  source: YamlSource;
  /** The includer, for an included cookbook. */
  parent?: Instance;
  /** The include entry's YAML path in the parent: `["include", 0]`. */
  via?: PropertyKey[];
}

/** Where an include was written, for its problems. */
interface IncludedFrom {
  at: Position;
  path: string;
}

/** Parses `paths` and their includes; a missing file, bad YAML or an include cycle is a problem. */
export function parseCookbooks(paths: string[], probe: Probe): Staged<Parsed> {
  const state: ParseState = {
    sources: [],
    includesOf: new Map(),
    instances: [],
    problems: [],
    loading: [],
  };
  for (const path of paths) parseOne(state, probe, absolute(path));
  const { sources, includesOf, instances } = state;
  return { value: { sources, includesOf, instances }, problems: state.problems };
}

interface ParseState extends Parsed {
  problems: Problem[];
  /** The chain of includes being parsed, to find cycles. */
  loading: string[];
}

/** The file an `include:` entry names: a path, or `{cookbook: path, vars: {...}}`. */
function includedFile(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  const named = (entry as { cookbook?: unknown } | null)?.cookbook;
  return typeof named === "string" ? named : undefined;
}

/** Parses `file` (once) and its includes, and adds one instance of it under `parent`. */
function parseOne(
  state: ParseState,
  probe: Probe,
  file: string,
  from?: IncludedFrom & { parent: Instance; via: PropertyKey[] },
): void {
  if (state.loading.includes(file)) {
    state.problems.push({
      at: from!.at,
      path: from!.path,
      message: `expected no include cycle, got ${[...state.loading, file].join(" -> ")}`,
    });
    return;
  }
  const known = state.sources.find((p) => p.file === file);
  const self = known ?? readOne(state, probe, file, from);
  if (!self) return;
  const instance: Instance = { source: self, parent: from?.parent, via: from?.via };
  state.loading.push(file);
  const includes = self.raw?.include;
  const direct: string[] = [];
  if (Array.isArray(includes)) {
    includes.forEach((entry, i) => {
      const written = includedFile(entry);
      if (written === undefined) return;
      const via = typeof entry === "string" ? ["include", i] : ["include", i, "cookbook"];
      const at = { at: positionOf(self, via), path: formatPath(via) };
      // Inside the repository, links resolved, like source and template; nothing outside is read.
      const found = repoFile(file, "include", written);
      if ("error" in found) {
        state.problems.push({ ...at, message: found.error });
        return;
      }
      direct.push(found.path);
      parseOne(state, probe, found.path, { ...at, parent: instance, via: ["include", i] });
    });
  }
  state.loading.pop();
  state.includesOf.set(file, direct);
  if (!known) state.sources.push(self);
  state.instances.push(instance);
}

/**
 * Reads and parses one cookbook file: a regular file of at most
 * {@link MAX_COOKBOOK_BYTES}, valid UTF-8 without raw control characters,
 * and YAML; else undefined, and its problems placed where it was included
 * (or at its own start).
 */
function readOne(
  state: ParseState,
  probe: Probe,
  file: string,
  from?: IncludedFrom,
): YamlSource | undefined {
  const self = readCookbook(probe, file, from);
  if (!Array.isArray(self)) return self;
  state.problems.push(...self);
  return undefined;
}

// C0 controls but tab, line feed and carriage return, and DEL: YAML's stream allows none of them.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

function readCookbook(probe: Probe, file: string, from?: IncludedFrom): YamlSource | Problem[] {
  const data = readInputVia(probe, file, MAX_COOKBOOK_BYTES);
  if ("error" in data) {
    const message = data.error.endsWith(" not found") ? `cookbook "${file}" not found` : data.error;
    return [{ at: from?.at ?? wholeFile(file), path: from?.path ?? "", message }];
  }
  const text = decodeUtf8(data);
  if (typeof text !== "string") {
    return [{ at: { file, ...text }, path: "", message: "not valid UTF-8" }];
  }
  const control = CONTROL.exec(text);
  if (control) {
    const before = text.slice(0, control.index);
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return [{
      at: { file, line: before.split("\n").length, col: control.index - before.lastIndexOf("\n") },
      path: "",
      message:
        `expected printable characters (YAML allows no raw U+${code}; write it escaped in double quotes)`,
    }];
  }
  return parseYaml(file, text, DOCUMENT);
}
