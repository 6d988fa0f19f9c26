/**
 * What `cm validate` checks, shared with `cm sync` (which validates a new
 * commit before checking it out): the cookbooks load (schema, includes,
 * templates, facts, sources) and their `requires` have no cycle.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import type { Cookbook } from "../cookbook/cookbook.ts";
import { order } from "../engine/order.ts";

/**
 * Loads and checks cookbooks like `cm validate`; reads only, through `probe`;
 * `facts` (dotted names) replace this machine's.
 *
 * @throws {CookbookError} with every problem found
 */
export async function validateCookbooks(
  files: string[],
  probe: Probe,
  facts?: Record<string, unknown>,
): Promise<Cookbook> {
  // Loaded on demand: its YAML parser and schemas stay off the no-op apply's path.
  const { loadCookbooks } = await import("../cookbook/load.ts");
  const cookbook = await loadCookbooks(files, probe, { facts });
  order(cookbook.resources); // a requires cycle is a cookbook error too
  return cookbook;
}
