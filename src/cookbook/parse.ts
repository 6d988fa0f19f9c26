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
}

/** Where an include was written, for its problems. */
interface IncludedFrom {
  at: Position;
  path: string;
  written: string;
}

/** Parses `paths` and their includes; a missing file, bad YAML or an include cycle is a problem. */
export function parseCookbooks(paths: string[], probe: Probe): Staged<Parsed> {
  const state: ParseState = { sources: [], includesOf: new Map(), problems: [], loading: [] };
  for (const path of paths) parseOne(state, probe, absolute(path));
  return {
    value: { sources: state.sources, includesOf: state.includesOf },
    problems: state.problems,
  };
}

interface ParseState extends Parsed {
  problems: Problem[];
  /** The chain of includes being parsed, to find cycles. */
  loading: string[];
}

function parseOne(state: ParseState, probe: Probe, file: string, from?: IncludedFrom): void {
  if (state.sources.some((p) => p.file === file)) return;
  if (state.loading.includes(file)) {
    state.problems.push({
      at: from!.at,
      path: from!.path,
      message: `expected no include cycle, got ${[...state.loading, file].join(" -> ")}`,
    });
    return;
  }
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
  if (Array.isArray(self)) {
    state.problems.push(...self);
    return;
  }
  state.loading.push(file);
  const includes = self.raw?.include;
  const direct: string[] = [];
  state.includesOf.set(file, direct);
  if (Array.isArray(includes)) {
    includes.forEach((written, i) => {
      if (typeof written !== "string") return;
      const included = absolute(written, dirOf(file));
      direct.push(included);
      parseOne(state, probe, included, {
        at: positionOf(self, ["include", i]),
        path: formatPath(["include", i]),
        written,
      });
    });
  }
  state.loading.pop();
  state.sources.push(self);
}
