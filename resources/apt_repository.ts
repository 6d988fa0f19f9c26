/**
 * `apt_repository`: a deb822 `.sources` file in /etc/apt/sources.list.d and
 * the repository's keyring in /etc/apt/keyrings, followed by one
 * `apt-get update` when any of them changed.
 *
 * Behaviour, decided here:
 * - The key comes from a file in the cookbook repository, never from the
 *   network. An armored key is stored dearmored (binary, like `gpg
 *   --dearmor`), so the keyring's name and format never depend on how the key
 *   was written. Anything that is not an OpenPGP public key is refused.
 * - The kind batches: every changed repository of a run of consecutive ones is
 *   written first, then `apt-get update` runs once. When it fails, the files
 *   are put back as they were (so the next run tries again) and every item of
 *   the batch fails.
 * - Its section runs before the packages, which then see the new lists; the
 *   package kind does not refresh them again in the same run.
 * - Contents are compared by sha256, like files: a plan shows digests.
 * - Rollback puts both files back as they were (or removes them), then runs
 *   `apt-get update` so the lists match the sources again.
 *
 * @module
 */
import { sha256Hex } from "../src/digest.ts";
import type { AptRepositorySpec } from "./apt_repository_schema.ts";
export type { AptRepositorySpec };
import type { Executor, Probe } from "../src/exec/executor.ts";
import { updateLists } from "./_apt.ts";
import { restorePath } from "./_restore_path.ts";
import {
  type Change,
  errorMessage,
  type Outcome,
  type ResourceContext,
  type ResourceKind,
  type SpecProblem,
} from "./resource.ts";

/** Where the kind writes: /etc/apt/sources.list.d and /etc/apt/keyrings (others in tests). */
export interface AptDirs {
  sources: string;
  keyrings: string;
}

/** What `read` found for one repository: current and wanted bytes of both files. */
export interface AptRepositoryState {
  sources: FilePair;
  keyring: FilePair;
  /** Why a file or the key could not be read, or the key is not a public key. */
  error?: string;
}

/** Current and wanted sha256 of one file; `null` for no file. */
interface FilePair {
  path: string;
  sha256: string | null;
  want: string | null;
}

const encoder = new TextEncoder();
const ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/**
 * The binary form of an OpenPGP public key, armored or binary; an error text
 * for anything else (a private key, a certificate, text).
 */
export function publicKeyBytes(data: Uint8Array): Uint8Array | { error: string } {
  const text = new TextDecoder().decode(data.subarray(0, 200));
  if (text.trimStart().startsWith("-----BEGIN")) {
    if (!text.trimStart().startsWith(ARMOR_BEGIN)) {
      return { error: `expected an OpenPGP public key, got "${text.trim().split("\n")[0]}"` };
    }
    const key = dearmor(new TextDecoder().decode(data));
    if ("error" in key || startsWithPublicKey(key)) return key;
    return { error: "expected an OpenPGP public key in the armored block, got other data" };
  }
  if (!startsWithPublicKey(data)) {
    return { error: "expected an OpenPGP public key (armored or binary), got other data" };
  }
  return data;
}

/** Whether `data` starts with an OpenPGP public key packet (tag 6). */
function startsWithPublicKey(data: Uint8Array): boolean {
  // Old format (10tttt..) or new format (11tttttt).
  const tag = data[0] & 0x40 ? data[0] & 0x3f : (data[0] & 0x3c) >> 2;
  return data.length >= 2 && (data[0] & 0x80) !== 0 && tag === 6;
}

/** The bytes of an ASCII-armored block: base64 lines after the headers, without the checksum. */
function dearmor(text: string): Uint8Array | { error: string } {
  const lines = text.replaceAll("\r", "").split("\n").map((l) => l.trim());
  const begin = lines.indexOf(ARMOR_BEGIN);
  const end = lines.indexOf("-----END PGP PUBLIC KEY BLOCK-----", begin);
  const blank = lines.indexOf("", begin);
  if (end === -1 || blank === -1 || blank > end) {
    return { error: "expected an armored public key block with an END line" };
  }
  const body = lines.slice(blank + 1, end).filter((l) => l && !l.startsWith("=")).join("");
  try {
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    return { error: "expected base64 in the armored public key block" };
  }
}

/** The deb822 text of the `.sources` file. */
export function renderSources(spec: AptRepositorySpec, id: string, keyring: string): string {
  const fields: [string, string[] | undefined][] = [
    ["Types", spec.types],
    ["URIs", spec.uris],
    ["Suites", spec.suites],
    ["Components", spec.components],
    ["Architectures", spec.architectures],
    ["Signed-By", spec.key === undefined ? undefined : [keyring]],
  ];
  return `# ${id}: managed by cm, changes here are overwritten\n` +
    fields.filter(([, v]) => v?.length).map(([k, v]) => `${k}: ${v!.join(" ")}\n`).join("");
}

/** Rules beyond the schema: uris and suites to be present; components exactly when not flat. */
export function checkAptRepository(spec: AptRepositorySpec): SpecProblem[] {
  if (spec.state === "absent") return [];
  const problems: SpecProblem[] = [];
  for (const field of ["uris", "suites"] as const) {
    if (!spec[field]) {
      problems.push({ field, message: `expected ${field} for a repository (or state: absent)` });
    }
  }
  const flat = spec.suites?.some((s) => s.endsWith("/"));
  if (flat && spec.components) {
    problems.push({
      field: "components",
      message: 'expected no components with a flat suite (one ending in "/")',
    });
  }
  if (spec.suites && !flat && !spec.components) {
    problems.push({ field: "components", message: "expected components, e.g. [main]" });
  }
  return problems;
}

/** The `apt_repository` kind writing into `dirs`. */
export function aptRepositoryKind(
  dirs: AptDirs = { sources: "/etc/apt/sources.list.d", keyrings: "/etc/apt/keyrings" },
): ResourceKind<AptRepositorySpec, AptRepositoryState> {
  const id = (spec: AptRepositorySpec) => `apt_repository[${spec.name}]`;
  const paths = (spec: AptRepositorySpec) => ({
    sources: `${dirs.sources}/${spec.name}.sources`,
    keyring: `${dirs.keyrings}/${spec.name}.gpg`,
  });

  /** The wanted bytes of both files (`null`: no such file), or why the key is unusable. */
  function wanted(
    spec: AptRepositorySpec,
    probe: Probe,
  ): { sources: Uint8Array | null; keyring: Uint8Array | null } | { error: string } {
    if (spec.state === "absent") return { sources: null, keyring: null };
    const sources = encoder.encode(renderSources(spec, id(spec), paths(spec).keyring));
    if (spec.keyPath === undefined) return { sources, keyring: null };
    const data = probe.readFile(spec.keyPath);
    if (!data) return { error: `key "${spec.keyPath}" does not exist` };
    const key = publicKeyBytes(data);
    return "error" in key
      ? { error: `key "${spec.key}": ${key.error}` }
      : { sources, keyring: key };
  }

  async function readOne(spec: AptRepositorySpec, probe: Probe): Promise<AptRepositoryState> {
    const at = paths(spec);
    const pair = async (path: string, want: Uint8Array | null): Promise<FilePair> => {
      const data = probe.readFile(path);
      return {
        path,
        sha256: data && await sha256Hex(data),
        want: want && await sha256Hex(want),
      };
    };
    try {
      const want = wanted(spec, probe);
      if ("error" in want) {
        return {
          sources: await pair(at.sources, null),
          keyring: await pair(at.keyring, null),
          ...want,
        };
      }
      return {
        sources: await pair(at.sources, want.sources),
        keyring: await pair(at.keyring, want.keyring),
      };
    } catch (error) {
      const none = (path: string) => ({ path, sha256: null, want: null });
      return { sources: none(at.sources), keyring: none(at.keyring), error: errorMessage(error) };
    }
  }

  function diffOne(_spec: AptRepositorySpec, current: AptRepositoryState): Change[] {
    if (current.error) {
      return [{ field: "key", before: null, after: null, note: current.error, blocked: true }];
    }
    const changes: Change[] = [];
    for (const field of ["sources", "keyring"] as const) {
      const { sha256, want } = current[field];
      if (sha256 !== want) changes.push({ field, before: sha256, after: want });
    }
    return changes;
  }

  async function apply(
    items: { spec: AptRepositorySpec; changes: Change[] }[],
    exec: Executor,
    ctx: ResourceContext,
  ): Promise<Outcome[]> {
    const undo: (() => void)[] = [];
    const outcomes: Outcome[] = [];
    for (const { spec } of items) {
      try {
        const want = wanted(spec, exec);
        if ("error" in want) throw new Error(want.error);
        const at = paths(spec);
        if (want.keyring && !exec.stat(dirs.keyrings)) exec.mkdir(dirs.keyrings, { mode: 0o755 });
        undo.push(replace(at.keyring, want.keyring, exec), replace(at.sources, want.sources, exec));
        outcomes.push({ ok: true });
      } catch (error) {
        outcomes.push({ ok: false, error: errorMessage(error) });
      }
    }
    if (!outcomes.some((o) => o.ok)) return outcomes;
    const failed = await updateLists(exec, ctx, true);
    if (failed === undefined) return outcomes;
    for (const restore of undo.reverse()) restore();
    return outcomes.map((o) =>
      o.ok ? { ok: false, error: `apt-get update failed, sources put back: ${failed}` } : o
    );
  }

  return {
    name: "apt_repository",
    id,
    check: checkAptRepository,
    claims: (spec) => Object.values(paths(spec)).map((path) => `path:${path}`),
    read: (specs, probe) => Promise.all(specs.map((spec) => readOne(spec, probe))),
    batches: true,
    diff: diffOne,
    apply,
    snapshot: async (spec, _current, store) => {
      const at = paths(spec);
      return {
        type: "paths",
        paths: [await store.capture(at.sources), await store.capture(at.keyring)],
      };
    },
    restore: async (before, exec, store, ctx) => {
      const restored = await restorePath(before, exec, store);
      if (!restored.ok) return restored;
      const failed = await updateLists(exec, ctx, true);
      return failed === undefined
        ? restored
        : { ok: false, error: `sources put back, but apt-get update failed: ${failed}` };
    },
    restoreFirst: true,
  };
}

/** Writes (or, for `null`, removes) a root-owned 0644 file; returns how to put back what was there. */
function replace(path: string, data: Uint8Array | null, exec: Executor): () => void {
  const before = exec.readFile(path);
  const put = (bytes: Uint8Array | null) => {
    if (bytes) exec.writeFile(path, bytes, { mode: 0o644, uid: 0, gid: 0 });
    else if (exec.stat(path)) exec.remove(path);
  };
  put(data);
  return () => put(before);
}

/** The `apt_repository` resource kind. */
export const aptRepository = aptRepositoryKind();
