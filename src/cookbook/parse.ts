/**
 * Loading, stage 1: reads the cookbooks asked for and, first, everything they
 * include (depth first, each file once), as YAML that remembers positions.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { decodeUtf8, MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { formatPath } from "./problems.ts";
import type { Position, Problem } from "../errors.ts";
import { absolute, repoFile, type Staged } from "./cookbook.ts";
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
  const self = readCookbook(probe, file, from);
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
      const from = {
        at: positionOf(self, ["include", i]),
        path: formatPath(["include", i]),
      };
      const found = repoFile(file, "include", written);
      if ("error" in found) {
        state.problems.push({ ...from, message: found.error });
        return;
      }
      direct.push(found.path);
      parseOne(state, probe, found.path, from);
    });
  }
  state.loading.pop();
  state.sources.push(self);
}

// C0 controls but tab, line feed and carriage return, and DEL: YAML's stream allows none of them.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Reads and parses one cookbook file: a regular file of at most
 * {@link MAX_COOKBOOK_BYTES}, valid UTF-8 and YAML; else its problems, placed
 * where it was included (or at its own start).
 */
function readCookbook(probe: Probe, file: string, from?: IncludedFrom): YamlSource | Problem[] {
  const data = readInputVia(probe, file, MAX_COOKBOOK_BYTES);
  if ("error" in data) {
    const message = data.error.endsWith(" not found") ? `cookbook "${file}" not found` : data.error;
    return [{ at: from?.at ?? { file, line: 1, col: 1 }, path: from?.path ?? "", message }];
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
