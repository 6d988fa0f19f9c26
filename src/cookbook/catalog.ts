/**
 * The catalog: the last loaded cookbooks, cached in the state directory so a
 * no-op run skips YAML parsing and validation (most of its time). It is used
 * only when every input is unchanged: the cookbook, include and template
 * files byte for byte, the facts they used, cm's version, and the files the
 * `source` and `template` paths resolve to. Anything else loads afresh.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Executor, Probe } from "../exec/executor.ts";
import { KINDS } from "../../resources/mod.ts";
import { VERSION } from "../version.ts";
import { absolute, type Cookbook, type CookbookInputs, repoFile } from "./cookbook.ts";
import { factReader } from "./facts.ts";

interface Catalog extends Omit<Cookbook, "resources"> {
  key: string;
  resources: (Omit<Cookbook["resources"][number], "kind"> & { kind: string })[];
}

/** A hash of every input file's path and bytes, cm's version and the paths asked for. */
function inputKey(probe: Probe, inputs: CookbookInputs): string | null {
  const hash = createHash("sha256").update(`${VERSION}\0${JSON.stringify(inputs.requested)}\0`);
  for (const file of inputs.files) {
    const data = probe.readFile(file);
    if (data === null) return null;
    hash.update(`${file}\0${data.length}\0`).update(data);
  }
  return hash.digest("hex");
}

async function factsUnchanged(probe: Probe, facts: Record<string, unknown>): Promise<boolean> {
  const read = factReader(probe);
  for (const [name, value] of Object.entries(facts)) {
    const now = await read(name).catch(() => undefined);
    if (JSON.stringify(now) !== JSON.stringify(value)) return false;
  }
  return true;
}

/** Whether every `source`, `template` and `key` still resolves to the file it did (links may move). */
function filesUnchanged(catalog: Catalog): boolean {
  return catalog.resources.every((r) =>
    (["source", "template", "key"] as const).every((field) => {
      const written = r.spec[field] as string | undefined;
      if (written === undefined) return true;
      const found = repoFile(r.at.file, field, written);
      return "path" in found && found.path === r.spec[`${field}Path`];
    })
  );
}

/** The cached cookbooks for `requested`, or `null` when anything they came from changed. */
export async function readCatalog(
  probe: Probe,
  path: string,
  requested: string[],
): Promise<Cookbook | null> {
  const data = probe.readFile(path);
  if (!data) return null;
  let catalog: Catalog;
  try {
    catalog = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  if (
    JSON.stringify(catalog.inputs?.requested) !==
      JSON.stringify(requested.map((p) => absolute(p))) ||
    inputKey(probe, catalog.inputs) !== catalog.key ||
    catalog.resources.some((r) => !KINDS[r.kind]) ||
    !filesUnchanged(catalog) ||
    !(await factsUnchanged(probe, catalog.inputs.facts))
  ) {
    return null;
  }
  const { key: _, ...cookbook } = catalog;
  return { ...cookbook, resources: catalog.resources.map((r) => ({ ...r, kind: KINDS[r.kind] })) };
}

/**
 * Saves loaded cookbooks as the catalog (0600, atomically). Cookbooks with
 * `sensitive: true` files are not saved: their content stays out of the state.
 */
export function writeCatalog(exec: Executor, path: string, cookbook: Cookbook): void {
  if (cookbook.resources.some((r) => r.spec.sensitive)) return;
  const key = inputKey(exec, cookbook.inputs);
  if (!key) return;
  const catalog: Catalog = {
    ...cookbook,
    key,
    resources: cookbook.resources.map((r) => ({ ...r, kind: r.kind.kind })),
  };
  exec.writeFile(path, new TextEncoder().encode(JSON.stringify(catalog)), { mode: 0o600 });
}
