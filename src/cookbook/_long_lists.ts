/**
 * Parsing a YAML file whose long lists are composed item by item: the yaml
 * library's concrete syntax tree of a whole document is several times the
 * size of the text (10,000 files: 4 MiB of text, 33 MiB of tree, then a
 * 24 MiB document beside it). Here each finished item of a long block list
 * is composed on its own as soon as the next one starts, turned into plain
 * data, and cut out of the tree, so the tree and the document never hold
 * more than a few items of it. The result equals the whole document's, or
 * there is none: the caller then parses the whole document (errors, aliases).
 *
 * @module
 */
import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  isAlias,
  Lexer,
  type LineCounter,
  type ParseOptions,
  Parser,
  visit,
} from "yaml";

/** How many items of a list stay in the document before the rest are composed one by one. */
export const KEPT_ITEMS = 32;

/** A document with its long lists' later items given apart. */
export interface Composed {
  /** The document; the items of `lists` are empty (null) in it. */
  doc: Document;
  /** By list path (keys joined by NUL: "configure\0files"), its composed items. */
  lists: Map<string, ComposedItems>;
}

/** The items of one list composed on their own: sparse, by index. */
export interface ComposedItems {
  /** The list's path of mapping keys. */
  path: string[];
  /** Each item's plain data, its strings copied out of the text. */
  values: unknown[];
  /** Each item's start offset in the text. */
  starts: number[];
}

type Options = ParseOptions & DocumentOptions;

/**
 * Parses `text` as `parseDocument` would, composing the block-mapping items
 * of a list after its first {@link KEPT_ITEMS} on their own. Undefined when
 * the result could differ from the whole document's or the text has errors:
 * directives, several documents, an anchor or alias in such an item, or any
 * error at all (parse the whole document then, for its messages).
 */
export function composeLongLists(
  text: string,
  lines: LineCounter,
  options: Options,
): Composed | undefined {
  const parser = new Parser(lines.addNewLine);
  const lists = new Map<CST.BlockSequence, ComposedItems>();
  let usable = true;
  function* tokens(): Generator<CST.Token> {
    lines.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) {
        if (token.type === "directive") usable = false;
        yield token;
      }
      if (lexeme === "-" && usable) usable = takeFinished(parser.stack, lists, options);
      if (!usable) return;
    }
    yield* parser.end();
  }
  let doc: Document | undefined;
  for (const composed of new Composer(options).compose(tokens(), true, text.length)) {
    if (doc) usable = false;
    doc ??= composed;
  }
  if (!usable || !doc || doc.errors.length) return undefined;
  return { doc, lists: new Map([...lists.values()].map((l) => [l.path.join("\0"), l])) };
}

/**
 * After a list item indicator: composes the item before it when the list is
 * long, an item of block mappings, and reached by plain keys only. False when
 * that item cannot be composed alone exactly as in its document.
 */
function takeFinished(
  stack: CST.Token[],
  lists: Map<CST.BlockSequence, ComposedItems>,
  options: Options,
): boolean {
  const list = stack.at(-1);
  if (list?.type !== "block-seq") return true;
  const index = list.items.length - 2;
  const item = list.items[index];
  if (index < KEPT_ITEMS || item.value?.type !== "block-map" || !onlyIndicator(item.start)) {
    return true;
  }
  const path = keyPath(stack);
  if (!path) return true;
  const [doc] = new Composer(options).compose([
    { type: "document", offset: item.value.offset, start: [], value: item.value, end: [] },
  ]);
  if (doc.errors.length || hasAnchors(doc)) return false;
  let composed = lists.get(list);
  if (!composed) lists.set(list, composed = { path, values: [], starts: [] });
  composed.values[index] = ownStrings(doc.toJS());
  composed.starts[index] = doc.contents!.range![0];
  delete item.value;
  return true;
}

/** Tokens before an item that carry nothing but its `-`: no anchor, tag or explicit key. */
function onlyIndicator(tokens: CST.SourceToken[]): boolean {
  return tokens.every((t) => ["seq-item-ind", "space", "newline", "comment"].includes(t.type));
}

/** A plain key that reads as itself: no number, boolean, null or quoting. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/**
 * The mapping keys from the document's root to the list on top of the
 * parser's stack, when every one is a plain key without properties inside a
 * block mapping; else undefined.
 */
function keyPath(stack: CST.Token[]): string[] | undefined {
  if (stack[0]?.type !== "document" || !onlyIndicator(stack[0].start.filter(isNotDocStart))) {
    return undefined;
  }
  const path: string[] = [];
  for (const token of stack.slice(1, -1)) {
    if (token.type !== "block-map") return undefined;
    const pair = token.items.at(-1);
    const key = pair?.key;
    if (key?.type !== "scalar" || !PLAIN_KEY.test(key.source) || RESERVED.test(key.source)) {
      return undefined;
    }
    if (!onlyIndicator(pair!.start) || !(pair!.sep ?? []).every((t) => plainSeparator(t))) {
      return undefined;
    }
    path.push(key.source);
  }
  return path;
}

const isNotDocStart = (t: CST.SourceToken) => t.type !== "doc-start";
const plainSeparator = (t: CST.SourceToken) =>
  ["map-value-ind", "space", "newline", "comment"].includes(t.type);

/** Whether any node of `doc` has an anchor or is an alias. */
function hasAnchors(doc: Document): boolean {
  let found = false;
  visit(doc, (_, node) => {
    // deno-lint-ignore no-explicit-any
    if (isAlias(node) || (node as any)?.anchor) {
      found = true;
      return visit.BREAK;
    }
  });
  return found;
}

/**
 * `value` with each string copied: the parser's strings are slices and
 * concatenations of the text (a block scalar is one piece per line), which
 * keep the whole text alive and take twice the room of a flat copy.
 */
export function ownStrings(value: unknown): unknown {
  if (typeof value === "string") return JSON.parse(JSON.stringify(value));
  if (Array.isArray(value)) return value.map(ownStrings);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, ownStrings(item)]));
}
