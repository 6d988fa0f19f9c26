/**
 * YAML documents that remember where each value was written, and schema
 * problems mapped back to `file:line:col`. Shared by cookbooks and the node
 * configuration.
 *
 * @module
 */
import { type Document, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import type { z } from "zod";
import type { Position, Problem } from "../errors.ts";
import { didYouMean } from "../text.ts";
import { describeValue, formatPath } from "./problems.ts";
import { foreignFieldMessage } from "./foreign_fields.ts";
import { type Composed, composeLongLists, ownStrings } from "./_long_lists.ts";

/** A parsed YAML file: its document, line index and plain data. */
export interface YamlSource {
  file: string;
  /** The document; without the items of `lists`, which are in `raw` only. */
  doc: Document;
  lines: LineCounter;
  // deno-lint-ignore no-explicit-any
  raw: any;
  /** Start offsets of the items of long lists composed apart, by list path (keys joined by NUL). */
  lists?: Map<string, number[]>;
  /** The whole document, parsed again when first asked for (a position inside such an item). */
  whole?: () => Document;
}

/**
 * Parses `text`; returns the problems instead when it is not valid YAML or
 * holds nothing (`expected` says what should be there), unless `empty` gives
 * the value of a document holding nothing (comments only).
 */
export function parseYaml(
  file: string,
  text: string,
  expected: string,
  empty?: () => unknown,
): YamlSource | Problem[] {
  const lines = new LineCounter();
  const composed = composeLongLists(text, lines, parseOptions(lines));
  const read = { file, text, expected, empty };
  if (!composed) {
    // Errors, aliases, directives: the whole document, with a line index of its own.
    const whole = new LineCounter();
    return fromDocument(read, parseDocument(text, parseOptions(whole)), whole);
  }
  const source = fromDocument(read, composed.doc, lines);
  if (Array.isArray(source)) return source;
  // Copies: the parser's strings are slices of the text, which would stay alive as long as any.
  const own = { ...source, raw: ownStrings(source.raw) };
  return composed.lists.size ? withLists(own, text, composed) : own;
}

// logLevel "error": the library's own warnings (a mapping as a key) would reach stderr unlocated.
const parseOptions = (lineCounter?: LineCounter) =>
  ({ lineCounter, prettyErrors: false, logLevel: "error" }) as const;

/** The source of a parsed document, or its problems. */
function fromDocument(
  { file, text, expected, empty }: {
    file: string;
    text: string;
    expected: string;
    empty?: () => unknown;
  },
  doc: Document,
  lines: LineCounter,
): YamlSource | Problem[] {
  if (doc.errors.length) {
    return firstExhaustion(doc.errors).map((error) => {
      const { line, col } = lines.linePos(error.pos[0]);
      return { at: { file, line, col }, path: "", message: yamlMessage(error, text) };
    });
  }
  if (doc.contents === null) {
    if (empty) return { file, doc, lines, raw: empty() };
    return [{
      at: { file, line: 1, col: 1 },
      path: "",
      message: `expected ${expected}, got an empty document`,
    }];
  }
  const cycle = firstAlias(doc, true);
  if (cycle !== undefined) {
    const { line, col } = lines.linePos(cycle);
    return [{
      at: { file, line, col },
      path: "",
      message: "expected an alias outside the value its anchor names, got one inside (a cycle)",
    }];
  }
  try {
    return { file, doc, lines, raw: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof RangeError)) throw error;
    // The yaml library's guard against alias bombs ("billion laughs"), or nesting deeper than the stack.
    const alias = error instanceof ReferenceError ? firstAlias(doc) : undefined;
    const { line, col } = lines.linePos(alias ?? 0);
    const message = error instanceof ReferenceError
      ? `expected aliases to expand to at most ${MAX_ALIAS_COUNT} nodes each, got more (an alias bomb?)`
      : "expected YAML nested less deeply";
    return [{ at: { file, line, col }, path: "", message }];
  }
}

/** `source` with the items of its long lists put into its plain data and their starts indexed. */
function withLists(source: YamlSource, text: string, { lists }: Composed): YamlSource {
  for (const { path, values } of lists.values()) {
    const items = valueAt(source.raw, path) as unknown[];
    values.forEach((value, i) => items[i] = value);
  }
  let whole: Document | undefined;
  return {
    ...source,
    lists: new Map([...lists].map(([key, { starts }]) => [key, starts])),
    whole: () => whole ??= parseDocument(text, parseOptions()),
  };
}

/**
 * `errors` with only the first stack overflow: the yaml library reports one
 * at each level that catches it on the way out, as many as the stack depth
 * left happens to allow.
 */
function firstExhaustion(errors: YAMLError[]): YAMLError[] {
  const first = errors.find((e) => e.code === "RESOURCE_EXHAUSTION");
  return errors.filter((e) => e.code !== "RESOURCE_EXHAUSTION" || e === first);
}

/** How many nodes one alias may stand for (the yaml library's default). */
const MAX_ALIAS_COUNT = 100;

/**
 * Where the first alias (`*name`) is written, as an offset; with
 * `inItsAnchor`, the first one inside the node its own anchor names
 * (`a: &a [*a]`: a cycle).
 */
function firstAlias(doc: Document, inItsAnchor = false): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node, path) {
      // deno-lint-ignore no-explicit-any
      if (inItsAnchor && !path.some((ancestor: any) => ancestor?.anchor === node.source)) return;
      at = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return at;
}

/** Maps YAML paths to positions in one parsed file. */
export function positionOf(
  parsed: YamlSource,
  path: readonly PropertyKey[],
  key = false,
): Position {
  const at = (offset: number): Position => ({ file: parsed.file, ...parsed.lines.linePos(offset) });
  const item = listItem(parsed, path);
  if (item?.exact && !key) return at(item.start);
  const doc = item ? parsed.whole!() : parsed.doc;
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    // deno-lint-ignore no-explicit-any
    let node: any;
    if (key && depth === path.length && depth > 0) {
      // deno-lint-ignore no-explicit-any
      const parent = doc.getIn(sub.slice(0, -1) as any[], true) as any;
      // deno-lint-ignore no-explicit-any
      node = parent?.items?.find((pair: any) => pair?.key?.value === sub.at(-1))?.key;
    } else {
      // deno-lint-ignore no-explicit-any
      node = sub.length ? doc.getIn(sub as any[], true) : doc.contents;
    }
    if (node?.range) return at(node.range[0]);
  }
  return { file: parsed.file, line: 1, col: 1 };
}

/**
 * The item of a long list composed apart that `path` is or leads into: its
 * start offset, and whether `path` names the item itself.
 */
function listItem(
  parsed: YamlSource,
  path: readonly PropertyKey[],
): { start: number; exact: boolean } | undefined {
  if (!parsed.lists) return undefined;
  for (let depth = 0; depth < path.length; depth++) {
    const index = path[depth];
    const start = typeof index === "number"
      ? parsed.lists.get(path.slice(0, depth).join("\0"))?.[index]
      : undefined;
    if (start !== undefined) return { start, exact: depth === path.length - 1 };
  }
  return undefined;
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
 * mean" among the fields `knownKeys` lists for an object's path. The value
 * is not shown under an item marked `sensitive: true`, nor where `secret`
 * says a path may hold one (a webhook URL, a header value).
 */
export function schemaProblems(
  parsed: YamlSource,
  issues: z.core.$ZodIssue[],
  knownKeys: (path: readonly PropertyKey[]) => string[],
  secret: (path: readonly PropertyKey[]) => boolean = () => false,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({
          at: positionOf(parsed, path, true),
          path: formatPath(path),
          message: foreignFieldMessage(key, known) ?? unknownFieldMessage(key, known),
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
    const branch = issue.code === "invalid_union" ? closestBranch(issue) : undefined;
    if (branch) {
      const inner = branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
      problems.push(...schemaProblems(parsed, inner, knownKeys, secret));
      continue;
    }
    const found = valueAt(parsed.raw, issue.path);
    const got = sensitiveAt(parsed.raw, issue.path) || secret(issue.path)
      ? "(sensitive: not shown)"
      : describeValue(found);
    let message = issue.message;
    if (issue.code === "invalid_type" && message.startsWith("Invalid input")) {
      message = `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    } else if (issue.code === "invalid_value") {
      const values = issue.values.map(String);
      const guess = typeof found === "string" && !sensitiveAt(parsed.raw, issue.path)
        ? didYouMean(found, values)
        : undefined;
      message = `expected one of ${values.map((v) => `"${v}"`).join(", ")}${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`;
    }
    problems.push({
      at: positionOf(parsed, issue.path),
      path: formatPath(issue.path),
      message: found === undefined && issue.code === "invalid_type"
        ? `missing required field (${message})`
        : `${message}, got ${got}`,
    });
  }
  return problems;
}

/** `unknown field; did you mean "enabled"? (fields: ...)` */
function unknownFieldMessage(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return `unknown field${guess ? `; did you mean "${guess}"?` : ""}${
    known.length ? ` (fields: ${known.join(", ")})` : ""
  }`;
}

/**
 * The issues of the union member to report instead of the union's own
 * problem. A union with a message of its own (`expected a command string or
 * a list of arguments`) gives way only to the one member the value has the
 * shape of: `command[1]: expected a string` for `["echo", 1]`. One without
 * (`Invalid input`) gives way to the member that came closest (fewest issues):
 * `health[0].command: expected a list`. `undefined` when no member stands out.
 */
function closestBranch(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  if (issue.message !== "Invalid input") {
    const shaped = issue.errors.filter((e) =>
      !e.some((i) => i.code === "invalid_type" && i.path.length === 0)
    );
    return shaped.length === 1 ? shaped[0] : undefined;
  }
  if (!issue.errors.length) return undefined;
  const fewest = Math.min(...issue.errors.map((e) => e.length));
  const closest = issue.errors.filter((e) => e.length === fewest);
  return closest.length === 1 ? closest[0] : undefined;
}

/** Whether a value at `path` belongs to an item marked `sensitive: true`. */
function sensitiveAt(raw: unknown, path: readonly PropertyKey[]): boolean {
  for (let depth = path.length - 1; depth >= 0; depth--) {
    if ((valueAt(raw, path.slice(0, depth)) as { sensitive?: unknown })?.sensitive === true) {
      return true;
    }
  }
  return false;
}
