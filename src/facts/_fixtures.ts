/**
 * Captured real outputs (testdata/NAME.txt, see scripts/capture_facts.ts) and
 * their expected parse (testdata/NAME.json), for the parser tests.
 *
 * @module
 */

const dir = new URL("./testdata/", import.meta.url);

/** One captured output and what parsing it must give. */
export interface Fixture {
  name: string;
  text: string;
  expected: unknown;
}

/** Every fixture whose name starts with `prefix` (at least one, or it throws). */
export function fixtures(prefix: string): Fixture[] {
  const names = [...Deno.readDirSync(dir)]
    .map((e) => e.name)
    .filter((n) => n.startsWith(prefix) && n.endsWith(".txt"))
    .map((n) => n.slice(0, -".txt".length))
    .sort();
  if (names.length === 0) throw new Error(`no fixtures named "${prefix}*.txt" in ${dir.pathname}`);
  return names.map((name) => ({
    name,
    text: Deno.readTextFileSync(new URL(`${name}.txt`, dir)),
    expected: JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, dir))),
  }));
}
