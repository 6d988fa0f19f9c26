/**
 * The use case behind `cm facts` and `cm plan --facts FILE`: every fact of
 * this machine, and saved facts read back.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { UsageError } from "../errors.ts";
import { COUNT_FACTS, factReader, FACTS, unknownFact } from "../facts/mod.ts";

/** Every fact by its dotted name (`os.id`); a fact that cannot be read is left out, with why. */
export interface GatheredFacts {
  values: Record<string, unknown>;
  /** Why a fact could not be read, by name. */
  errors: Record<string, string>;
}

/** Reads every fact of this machine through `probe` (reads only). */
export async function gatherFacts(probe: Probe): Promise<GatheredFacts> {
  const read = factReader(probe);
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const name of Object.keys(FACTS)) {
    try {
      values[name] = await read(name);
    } catch (error) {
      errors[name] = (error as Error).message;
    }
  }
  return { values, errors };
}

/**
 * Reads facts saved by `cm facts --json` from `path`.
 *
 * @throws {UsageError} when the file cannot be read, is not a JSON mapping, or names an unknown fact
 */
export function readSavedFacts(probe: Probe, path: string): Record<string, unknown> {
  // A regular file of bounded size: `--facts /dev/zero` must not fill the memory.
  const data = readInputVia(probe, path, MAX_COOKBOOK_BYTES);
  if ("error" in data) throw new UsageError(`cannot read facts file: ${data.error}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (error) {
    throw new UsageError(`expected JSON in facts file "${path}": ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`expected a JSON mapping of facts in "${path}" (cm facts --json)`);
  }
  const unknown = Object.keys(parsed).find((name) => !(name in FACTS));
  if (unknown) throw new UsageError(`${path}: ${unknownFact(unknown)}`);
  for (const [name, value] of Object.entries(parsed)) {
    const problem = factValueProblem(name, value);
    if (problem) throw new UsageError(`${path}: fact "${name}": ${problem}`);
  }
  return parsed as Record<string, unknown>;
}

function factValueProblem(name: string, value: unknown): string | null {
  if (COUNT_FACTS.has(name)) {
    return Number.isInteger(value) && (value as number) >= 0
      ? null
      : `expected a whole number, got ${JSON.stringify(value)}`;
  }
  return typeof value === "string" ? null : `expected text, got ${JSON.stringify(value)}`;
}
