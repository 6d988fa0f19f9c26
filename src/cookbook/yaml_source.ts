/**
 * YAML documents that remember where each value was written, and schema
 * problems mapped back to `file:line:col`. Shared by cookbooks and the node
 * configuration.
 *
 * @module
 */
import { type Document, LineCounter, parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import type { Position, Problem } from "../errors.ts";
import { didYouMean } from "../text.ts";
import { describeValue, formatPath } from "./problems.ts";

/** A parsed YAML file: its document, line index and plain data. */
export interface YamlSource {
  file: string;
  doc: Document;
  lines: LineCounter;
  // deno-lint-ignore no-explicit-any
  raw: any;
}

/**
 * Parses `text`; returns the problems instead when it is not valid YAML or
 * holds nothing (`expected` says what should be there).
 */
export function parseYaml(file: string, text: string, expected: string): YamlSource | Problem[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    return doc.errors.map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return { at: { file, line, col }, path: "", message: yamlMessage(error, text) };
    });
  }
  if (doc.contents === null) {
    return [{
      at: { file, line: 1, col: 1 },
      path: "",
      message: `expected ${expected}, got an empty document`,
    }];
  }
  return { file, doc, lines, raw: doc.toJS() };
}

/** Maps YAML paths to positions in one parsed file. */
export function positionOf(
  parsed: YamlSource,
  path: readonly PropertyKey[],
  key = false,
): Position {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    // deno-lint-ignore no-explicit-any
    let node: any;
    if (key && depth === path.length && depth > 0) {
      // deno-lint-ignore no-explicit-any
      const parent = parsed.doc.getIn(sub.slice(0, -1) as any[], true) as any;
      // deno-lint-ignore no-explicit-any
      node = parent?.items?.find((pair: any) => pair?.key?.value === sub.at(-1))?.key;
    } else {
      // deno-lint-ignore no-explicit-any
      node = sub.length ? parsed.doc.getIn(sub as any[], true) : parsed.doc.contents;
    }
    if (node?.range) {
      const { line, col } = parsed.lines.linePos(node.range[0]);
      return { file: parsed.file, line, col };
    }
  }
  return { file: parsed.file, line: 1, col: 1 };
}

/** The value at a YAML path in plain data. */
export function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  // deno-lint-ignore no-explicit-any
  return path.reduce((value: any, key) => value?.[key as string], raw);
}

/** A YAML parse error as "invalid YAML: ..." (duplicate keys name the key). */
function yamlMessage(error: YAMLError, text: string): string {
  if (error.code === "DUPLICATE_KEY") {
    const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:#\n]*?)\s*:/.exec(text.slice(error.pos[0]))?.[1];
    return `expected each key once in a mapping, got "${
      key?.replace(/^["']|["']$/g, "") ?? "?"
    }" again (duplicate key)`;
  }
  const first = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return `invalid YAML: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
}

/** How zod's type names read in messages. */
const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

/**
 * Turns zod issues into problems with positions, "got ...", and "did you
 * mean" among the fields `knownKeys` lists for an object's path.
 */
export function schemaProblems(
  parsed: YamlSource,
  issues: z.core.$ZodIssue[],
  knownKeys: (path: readonly PropertyKey[]) => string[],
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const guess = didYouMean(key, known);
        problems.push({
          at: positionOf(parsed, path, true),
          path: formatPath(path),
          message: `unknown field${guess ? `; did you mean "${guess}"?` : ""}${
            known.length ? ` (fields: ${known.join(", ")})` : ""
          }`,
        });
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      const key = issue.path.at(-1) as string;
      const inner = issue.issues[0]?.message;
      problems.push({
        at: positionOf(parsed, issue.path, true),
        path: formatPath(issue.path),
        message: `${inner ?? "invalid key"}, got ${describeValue(key)}`,
      });
      continue;
    }
    const found = valueAt(parsed.raw, issue.path);
    let message = issue.message;
    if (issue.code === "invalid_type" && message.startsWith("Invalid input")) {
      message = `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    } else if (issue.code === "invalid_value") {
      const values = issue.values.map(String);
      const guess = typeof found === "string" ? didYouMean(found, values) : undefined;
      message = `expected one of ${values.map((v) => `"${v}"`).join(", ")}${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`;
    }
    problems.push({
      at: positionOf(parsed, issue.path),
      path: formatPath(issue.path),
      message: found === undefined && issue.code === "invalid_type"
        ? `missing required field (${message})`
        : `${message}, got ${describeValue(found)}`,
    });
  }
  return problems;
}
