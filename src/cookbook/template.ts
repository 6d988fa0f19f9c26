/**
 * `{{ name }}` templating: vars by name, facts as `facts.x`.
 *
 * @module
 */
import { didYouMean } from "../text.ts";

/** A placeholder that cannot be filled in; `offset` is where it starts in the text. */
export class TemplateError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Looks up a dotted name (`app_port`, `facts.os.id`); throws a message when unknown. */
export type Lookup = (name: string) => unknown;

const PLACEHOLDER = /(\\?)\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

/** Whether `text` holds a placeholder. */
export function hasPlaceholder(text: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(text);
}

/**
 * Fills in every `{{ name }}` of `text`. `\{{ name }}` stays literal (without
 * the backslash); braces that do not hold a plain name are left alone.
 */
export function render(text: string, lookup: Lookup): string {
  if (!text.includes("{{")) return text;
  return text.replace(PLACEHOLDER, (match, escape: string, name: string, offset: number) => {
    if (escape) return match.slice(1);
    let value: unknown;
    try {
      value = lookup(name);
    } catch (error) {
      throw new TemplateError((error as Error).message, offset);
    }
    if (value === null || typeof value === "object") {
      throw new TemplateError(
        `expected "{{ ${name} }}" to be a single value, got ${notSingle(name, value)}`,
        offset,
      );
    }
    return String(value);
  });
}

/** What a placeholder found instead of a single value, and what to write instead. */
function notSingle(name: string, value: object | null): string {
  if (value === null) return "nothing";
  const [first] = Object.keys(value);
  const pick = first === undefined || !/^[A-Za-z0-9_]+$/.test(first)
    ? ""
    : `write "{{ ${name}.${first} }}" for one ${Array.isArray(value) ? "item" : "field"}, or `;
  return `${Array.isArray(value) ? "a list" : "a mapping"} (templates substitute single values ` +
    `and have no loops: ${pick}write the ${Array.isArray(value) ? "items" : "fields"} out)`;
}

/** A lookup over vars and lazily computed facts, with a clear error for unknown names. */
export function makeLookup(
  vars: Record<string, unknown>,
  facts: (name: string) => unknown,
): Lookup {
  return (name) => {
    if (name.startsWith("facts.")) return facts(name.slice("facts.".length));
    const [head, ...rest] = name.split(".");
    if (!(head in vars)) {
      const known = Object.keys(vars);
      const guess = didYouMean(head, known);
      throw new Error(
        `unknown variable "${head}"${guess ? `; did you mean "${guess}"?` : ""}${
          known.length ? ` (vars: ${known.join(", ")})` : " (no vars defined)"
        }`,
      );
    }
    let value: unknown = vars[head];
    for (const key of rest) {
      if (value === null || typeof value !== "object" || !(key in value)) {
        throw new Error(`unknown variable "${name}"`);
      }
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}
