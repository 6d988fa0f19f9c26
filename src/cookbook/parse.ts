/**
 * Loading, stage 1: reads the cookbooks asked for and, first, everything they
 * include (depth first, each file once), as YAML that remembers positions.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { formatPath } from "./problems.ts";
import type { Position, Problem } from "../errors.ts";
import { absolute, dirOf, type Staged } from "./cookbook.ts";
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
  written: string;
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
      const included = absolute(written, dirOf(file));
      direct.push(included);
      const via = typeof entry === "string" ? ["include", i] : ["include", i, "cookbook"];
      parseOne(state, probe, included, {
        at: positionOf(self, via),
        path: formatPath(via),
        written,
        parent: instance,
        via: ["include", i],
      });
    });
  }
  state.loading.pop();
  state.includesOf.set(file, direct);
  if (!known) state.sources.push(self);
  state.instances.push(instance);
}

/** Reads and parses one cookbook file; undefined (and a problem) when it cannot. */
function readOne(
  state: ParseState,
  probe: Probe,
  file: string,
  from?: IncludedFrom,
): YamlSource | undefined {
  const data = probe.readFile(file);
  if (data === null) {
    state.problems.push({
      at: from?.at ?? { file, line: 1, col: 1 },
      path: from?.path ?? "",
      message: from
        ? `included cookbook "${from.written}" not found (looked for ${file})`
        : `cookbook "${file}" not found`,
    });
    return;
  }
  const self = parseYaml(file, new TextDecoder().decode(data), DOCUMENT);
  if (!Array.isArray(self)) return self;
  state.problems.push(...self);
  return undefined;
}
