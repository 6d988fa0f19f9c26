/**
 * Which cookbooks a node applies: the explicit list, else
 * `nodes/<fqdn>.yaml`, else `nodes/<short hostname>.yaml`, else
 * `default.yaml` (FQDN first, as ansible-pull users expect). A selection
 * that differs from the last sync's (the node file disappeared, the host was
 * renamed) is reported, or refused with `on_cookbook_change: refuse`.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { fileInside } from "../cookbook/cookbook.ts";

/** How long `hostname --fqdn` may take. */
const FQDN_TIMEOUT_MS = 5000;

/** The cookbooks chosen: absolute paths and the same relative to the repository. */
export interface Selection {
  files: string[];
  relative: string[];
}

/**
 * The names to look for under nodes/, most specific first: the FQDN
 * (`hostname --fqdn`, when it answers), the kernel host name, and the short
 * form of each; `given` replaces the machine's names (tests, --hostname-like
 * callers).
 */
export async function hostNames(probe: Probe, given?: string): Promise<string[]> {
  const names: string[] = [];
  if (given) names.push(given);
  else {
    // --fqdn asks the resolver: bounded, so a node with broken DNS still syncs.
    const fqdn = await probe.run(["hostname", "--fqdn"], { timeoutMs: FQDN_TIMEOUT_MS });
    if (fqdn.code === 0 && fqdn.stdout.trim()) names.push(fqdn.stdout.trim());
    names.push(Deno.hostname());
  }
  return [...new Set([...names, ...names.map((n) => n.split(".")[0])])];
}

/** The files tried in order: `nodes/<name>.yaml` for each name, then `default.yaml`. */
function candidateFiles(names: string[]): string[] {
  return [...names.map((n) => `nodes/${n}.yaml`), "default.yaml"];
}

/** The cookbook files for a work tree (see the module doc), or why there are none. */
export function resolveCookbooks(
  probe: Probe,
  dir: string,
  explicit: string[] | undefined,
  names: string[],
): Selection | { error: string } {
  if (explicit?.length) {
    // Confined like include: a committed link may not lead outside the repository.
    const files: string[] = [];
    for (const rel of explicit) {
      const found = fileInside(dir, "cookbook", rel);
      if ("error" in found) return { error: `--cookbook: ${found.error}` };
      files.push(found.path);
    }
    return { files, relative: explicit };
  }
  const candidates = candidateFiles(names);
  for (const rel of candidates) {
    if (!probe.stat(`${dir}/${rel}`)) continue;
    // A committed link (nodes/web2.yaml -> web1.yaml) is followed, confined like --cookbook.
    const found = fileInside(dir, "cookbook", rel);
    if ("error" in found) return { error: found.error };
    return { files: [found.path], relative: [rel] };
  }
  return {
    error: `none of ${
      candidates.join(", ")
    } exists in the repository, and no cookbook was named (--cookbook, or cookbooks: in the node configuration)`,
  };
}

/**
 * "cookbook selection changed: was nodes/web1.yaml, now default.yaml ...",
 * or `undefined` when the selection is the one the last sync applied (or
 * there was none, or the cookbooks are listed explicitly).
 */
export function selectionChange(
  previous: string[] | undefined,
  now: string[],
  explicit: boolean,
  names: string[],
): string | undefined {
  if (explicit || !previous?.length || previous.join() === now.join()) return undefined;
  return `cookbook selection changed: was ${previous.join(", ")}, now ${
    now.join(", ")
  } (looked for ${candidateFiles(names).join(", ")}, in this order)`;
}
