/**
 * The catalog: the last loaded cookbooks, cached (by `src/state/catalog.ts`)
 * so a no-op run skips YAML parsing and validation (most of its time). This
 * module turns cookbooks into bytes and back, writing nothing. A catalog is
 * used only when every input is unchanged: the cookbook, include and template
 * files byte for byte, the facts they used, cm's version and build, and the files the
 * `source` and `template` paths resolve to. Anything else loads afresh.
 * It keeps the resources' desired digests too (src/state/drift.ts), so that a
 * no-op run hashes no spec.
 *
 * Cookbooks that hold secrets (a `sensitive: true` resource or check, the
 * node's vars file) are cached sealed: AES-256-GCM under a key derived from
 * the bytes of their inputs, vars file included, with nothing else stored in
 * the clear but the inputs' paths. A copy of the state directory alone reveals
 * no secret (and no hash of one, as for `sensitive` content in the state); a
 * changed input no longer opens it, so it reads as stale.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { KIND_NAMES } from "../../resources/mod.ts";
import { versionLine } from "../version.ts";
import { sha256Hex } from "../digest.ts";
import { seal, unseal } from "../seal.ts";
import { hashInputVia, MAX_COOKBOOK_BYTES } from "../exec/input.ts";
import { absolute, type Cookbook, type CookbookInputs, repoFile } from "./cookbook.ts";
import { jsonChunks } from "../exec/json_chunks.ts";
import { probeWith } from "../exec/plan_probe.ts";
import { varsFileRefusal } from "./vars_file_access.ts";

/**
 * The shape of the cached form; bumped when `Cookbook` changes shape, as cm's
 * version may not (2: resources name their kind and hold `section`; 3: health,
 * rollback; 4: digests; 5: resources name their root cookbook; 6: which one by
 * its index in `inputs.requested`, not its path again: 10,000 resources carried
 * 1 MB of the same path, parsed into 10,000 strings on every run; 7: the file
 * a resource was written in (`at.file`) by its index in `inputs.files`, likewise).
 */
const FORMAT = 7;

/** The cached form: the loaded cookbooks, the hash of their inputs, their desired digests. */
interface Catalog extends Cookbook {
  format: number;
  key: string;
  digests: Record<string, string>;
}

/** Cookbooks and the desired digest (sha256, hex) of each resource by id, as cached. */
export interface Thawed {
  cookbook: Cookbook;
  digests: Record<string, string>;
}

/** An input's size (bytes) and sha256 (hex). */
interface InputHash {
  size: number;
  sha256: string;
}

/**
 * A hash of every input file's path and bytes, cm's version and build
 * (`build`: another build of the same version may load them differently) and the paths
 * asked for, one file held at a time; `null` when an input cannot be read.
 * What {@link freeze} checks against the key of the bytes loaded ({@link keyingReads}).
 */
export async function inputKey(
  probe: Probe,
  inputs: KeyedInputs,
  build = versionLine(),
): Promise<string | null> {
  return (await keyOf(probe, inputs, build))?.key ?? null;
}

/**
 * A catalog's key ({@link inputKey}) and the text it hashes, from which a
 * sealed catalog's or alert configuration's key derives (src/seal.ts).
 */
export interface InputsKey {
  key: string;
  text: string;
}

/** The {@link InputsKey} of `inputs` as `probe` reads them now; `null` when one cannot be read. */
export async function keyOf(
  probe: Probe,
  inputs: KeyedInputs,
  build = versionLine(),
): Promise<InputsKey | null> {
  const text = await inputText(probe, inputs, build);
  return text === null ? null : { key: await sha256Hex(text), text };
}

/** What a catalog's key covers: the paths asked for and every file read. */
type KeyedInputs = Pick<CookbookInputs, "requested" | "files">;

/** What {@link inputKey} hashes, as `probe` reads the inputs now; `null` when one cannot be read. */
async function inputText(
  probe: Probe,
  inputs: KeyedInputs,
  build = versionLine(),
): Promise<string | null> {
  const hashes: InputHash[] = [];
  for (const file of inputs.files) {
    // Checked like a load would: a cached input swapped for a FIFO must not hang the fast path.
    const input = await hashInputVia(probe, file, MAX_COOKBOOK_BYTES);
    if ("error" in input) return null;
    hashes.push(input);
  }
  return keyText(inputs, hashes, build);
}

/** What {@link inputKey} hashes for `inputs` whose files have the `hashes` (in order), for cm `build`. */
function keyText(inputs: KeyedInputs, hashes: InputHash[], build: string): string {
  let text = `${build}\0${JSON.stringify(inputs.requested)}\0`;
  inputs.files.forEach((file, i) => text += `${file}\0${hashes[i].size}\0${hashes[i].sha256}\0`);
  return text;
}

/**
 * `probe` to load cookbooks through, and the {@link inputKey} of the bytes that
 * load read: each file is hashed as it is read, so a file edited while the
 * cookbooks load (1 s at 10,000 resources) cannot key what was made of its
 * old bytes. The key is `null` when an input was not read through `probe`.
 */
export function keyingReads(
  probe: Probe,
): { probe: Probe; key: (inputs: KeyedInputs) => Promise<InputsKey | null> } {
  const read = new Map<string, Promise<InputHash>>();
  const hash = async (data: Uint8Array) => ({
    size: data.byteLength,
    sha256: await sha256Hex(data),
  });
  return {
    probe: probeWith(probe, {
      readFile(path) {
        const data = probe.readFile(path);
        // Hashed now: WebCrypto copies the bytes before this returns.
        if (data) read.set(path, hash(data));
        return data;
      },
    }),
    async key(inputs) {
      const hashes = inputs.files.map((file) => read.get(file));
      if (!hashes.every((h) => h !== undefined)) return null;
      const text = keyText(inputs, await Promise.all(hashes), versionLine());
      return { key: await sha256Hex(text), text };
    },
  };
}

async function factsUnchanged(probe: Probe, facts: Record<string, unknown>): Promise<boolean> {
  if (!Object.keys(facts).length) return true;
  // The fact tables load only for cookbooks that used facts.
  const { factReader } = await import("../facts/mod.ts");
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

/** What a catalog holds for the cookbooks asked for. */
export interface ThawResult {
  /** The cookbooks and their digests, or `null` when unreadable or anything they came from changed. */
  thawed: Thawed | null;
  /**
   * Their health checks as cached, fresh or not: when the cookbooks changed,
   * the checks in force before (what a rollback puts back must pass those).
   */
  // deno-lint-ignore no-explicit-any
  health?: any[];
}

/**
 * The cookbooks `text` (a catalog's JSON, plain or sealed) holds for
 * `requested` loaded with the node's vars file `varsFile` (see {@link ThawResult}).
 */
export async function thaw(
  probe: Probe,
  text: string,
  requested: string[],
  varsFile?: string,
): Promise<ThawResult> {
  let catalog: unknown;
  let key: string | undefined;
  try {
    catalog = JSON.parse(text);
  } catch {
    return { thawed: null };
  }
  const asked = {
    requested: requested.map((p) => absolute(p)),
    varsFile: varsFile && absolute(varsFile),
  };
  if (sealedShaped(catalog)) {
    const opened = sameRequest(catalog.inputs, asked) ? await unsealCatalog(probe, catalog) : null;
    if (!opened) return { thawed: null };
    ({ catalog, key } = opened);
  }
  if (!catalogShaped(catalog) || catalog.format !== FORMAT || !sameRequest(catalog.inputs, asked)) {
    return { thawed: null };
  }
  return { thawed: await fresh(probe, catalog, key), health: catalog.health };
}

/** Whether a catalog's `inputs` are those of this request: the same paths and vars file. */
function sameRequest(
  inputs: { requested: string[]; varsFile?: string },
  asked: { requested: string[]; varsFile?: string },
): boolean {
  return JSON.stringify(inputs.requested) === JSON.stringify(asked.requested) &&
    inputs.varsFile === asked.varsFile;
}

/**
 * A shaped `catalog`'s cookbooks and digests while every input is unchanged
 * (`key`: its inputs' key, when already computed), else `null`.
 */
async function fresh(probe: Probe, catalog: Catalog, key?: string): Promise<Thawed | null> {
  restorePaths(catalog);
  const { varsFile } = catalog.inputs;
  if (
    (key ?? await inputKey(probe, catalog.inputs)) !== catalog.key ||
    // A vars file cm would now refuse is refused by loading it afresh, with its message.
    (varsFile !== undefined && varsFileRefusal(probe, varsFile, Deno.uid()) !== null) ||
    catalog.resources.some((r) => !KIND_NAMES.includes(r.kind)) ||
    !filesUnchanged(catalog) ||
    !(await factsUnchanged(probe, catalog.inputs.facts))
  ) {
    return null;
  }
  const { format: _, key: __, digests, ...cookbook } = catalog;
  return { cookbook, digests };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === "string";

/** Whether `path` is a path, or a whole number naming one of `paths` (see {@link freeze}). */
const pathOrIndex = (paths: string[], path: unknown): boolean =>
  typeof path === "string" ||
  Number.isInteger(path) && (path as number) >= 0 && (path as number) < paths.length;

/**
 * Whether `value` is shaped as {@link freeze} writes a catalog (a damaged one,
 * valid JSON of another shape, must read as stale, not crash the run): the
 * fields thawing and the engine rely on, and every path index in range.
 */
function catalogShaped(value: unknown): value is Catalog {
  if (!isObject(value) || !isObject(value.inputs) || !isObject(value.digests)) return false;
  if (typeof value.key !== "string") return false;
  const { requested, files, facts } = value.inputs;
  if (!isStrings(requested) || !isStrings(files) || !isObject(facts)) return false;
  if (!optionalString(value.inputs.varsFile)) return false;
  if (!isStrings(value.files) || !Array.isArray(value.health) || !value.health.every(isObject)) {
    return false;
  }
  return Array.isArray(value.resources) &&
    value.resources.every((r) =>
      isObject(r) && typeof r.kind === "string" && typeof r.id === "string" && isObject(r.spec) &&
      typeof r.path === "string" && typeof r.section === "number" && isObject(r.at) &&
      pathOrIndex(files, r.at.file) && (r.root === undefined || pathOrIndex(requested, r.root))
    );
}

/**
 * Puts back in a shaped `catalog`'s resources the paths {@link freeze} wrote
 * as indexes (`root` into `inputs.requested`, `at.file` into `inputs.files`),
 * each list's one string shared.
 */
function restorePaths(catalog: Catalog): void {
  const { requested, files } = catalog.inputs;
  for (const r of catalog.resources) {
    const at = r.at as { file: string | number };
    if (typeof r.root === "number") r.root = requested[r.root];
    if (typeof at.file === "number") at.file = files[at.file];
  }
}

/** `paths` → index, for writing each path once (see {@link restorePaths}). */
function indexOf(paths: string[]): (path: string | undefined) => number {
  const index = new Map(paths.map((p, i) => [p, i]));
  return (path) => path === undefined ? -1 : index.get(path) ?? -1;
}

/**
 * Loaded cookbooks and their desired digests as a catalog's bytes (in chunks:
 * 10,000 resources are about 6 MB), sealed when they hold secrets, keyed by
 * the bytes they were loaded from (`loaded`, see {@link keyingReads}), else
 * by their inputs as `probe` reads them now. An input edited since it was
 * loaded (during the run, or by it) makes the catalog stale for the next run,
 * as it must be; not reading the inputs again spares the largest transient
 * buffers of a first converge (a 4.4 MB cookbook at 10,000 files).
 * `null` when they must not be cached: an input that was not or cannot be read has no key.
 */
export async function freeze(
  probe: Probe,
  cookbook: Cookbook,
  digests: Record<string, string>,
  loaded?: InputsKey | null,
): Promise<Iterable<Uint8Array> | null> {
  const keyed = loaded === undefined ? await keyOf(probe, cookbook.inputs) : loaded;
  if (keyed === null) return null;
  const { key, text } = keyed;
  const [rootIndex, fileIndex] = [
    indexOf(cookbook.inputs.requested),
    indexOf(cookbook.inputs.files),
  ];
  const resources = cookbook.resources.map((r) => {
    const [root, file] = [rootIndex(r.root), fileIndex(r.at.file)];
    return {
      ...r,
      ...(root < 0 ? {} : { root }),
      ...(file < 0 ? {} : { at: { ...r.at, file } }),
    };
  });
  const catalog = { ...cookbook, resources, format: FORMAT, key, digests };
  return holdsSecrets(cookbook)
    ? [new TextEncoder().encode(
      JSON.stringify(await sealCatalog(text, cookbook.inputs, jsonChunks(catalog))),
    )]
    : jsonChunks(catalog);
}

/** Whether `cookbook` holds secrets: a `sensitive` resource or check, or the node's vars. */
function holdsSecrets(cookbook: Cookbook): boolean {
  return cookbook.inputs.varsFile !== undefined ||
    [...cookbook.resources.map((r) => r.spec), ...cookbook.health].some((s) => s.sensitive);
}

/**
 * A sealed catalog: the catalog's JSON encrypted (`sealed`: base64 of a
 * 12-byte IV and the AES-GCM ciphertext), beside the paths its key is derived from.
 */
interface Sealed {
  format: number;
  inputs: KeyedInputs & { varsFile?: string };
  sealed: string;
}

/**
 * `chunks` (a catalog's JSON) sealed under the key of the inputs whose
 * {@link inputText} is `text` (src/seal.ts, whose key is a hash of it under
 * another prefix than the catalog's key, so that neither gives the other).
 */
async function sealCatalog(
  text: string,
  inputs: CookbookInputs,
  chunks: Iterable<Uint8Array>,
): Promise<Sealed> {
  const parts = [...chunks];
  const plain = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((at, p) => (plain.set(p, at), at + p.byteLength), 0);
  const { requested, files, varsFile } = inputs;
  return {
    format: FORMAT,
    inputs: { requested, files, ...(varsFile === undefined ? {} : { varsFile }) },
    sealed: await seal("catalog", text, plain),
  };
}

/** Whether `value` is shaped as {@link seal} writes a sealed catalog. */
function sealedShaped(value: unknown): value is Sealed {
  return isObject(value) && value.format === FORMAT && typeof value.sealed === "string" &&
    isObject(value.inputs) && isStrings(value.inputs.requested) &&
    isStrings(value.inputs.files) && optionalString(value.inputs.varsFile);
}

/**
 * The catalog `envelope` seals and its inputs' key, when its inputs' bytes are
 * still those it was sealed with; else `null` (stale, or damaged).
 */
async function unsealCatalog(
  probe: Probe,
  envelope: Sealed,
): Promise<{ catalog: unknown; key: string } | null> {
  const keyed = await keyOf(probe, envelope.inputs);
  if (keyed === null) return null;
  const { key, text } = keyed;
  // Another key (an input changed), a damaged ciphertext or base64, or JSON that is not.
  const plain = await unseal("catalog", text, envelope.sealed);
  if (plain === null) return null;
  try {
    return { catalog: JSON.parse(new TextDecoder().decode(plain)), key };
  } catch {
    return null;
  }
}
