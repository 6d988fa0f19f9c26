/**
 * Installs cm into a testbed server as shipped: dist/cm (built or rebuilt by
 * scripts/dist.ts when stale), copied as ONE file to `/usr/local/bin/cm`.
 * The server has no deno and no npm cache; the first `cm --version` unpacks a
 * self-extracting dist/cm into /var/lib/config-manager/runtime.
 *
 * ```ts ignore
 * import { bootServer } from "../testbed/mod.ts";
 * import { installCm } from "./install_cm.ts";
 *
 * await using srv = await bootServer();
 * await installCm(srv);
 * await srv.exec(["cm", "validate", "/srv/cookbooks/web.yaml"], { check: true });
 * ```
 *
 * @module
 */
import { ensureDistCm } from "../../scripts/dist.ts";

/** The binary's path inside the server (on the default PATH). */
export const CM_BIN = "/usr/local/bin/cm";

/** The part of a testbed Server that {@linkcode installCm} uses. */
export interface CmTarget {
  copyIn(hostPath: string, pathInServer: string): Promise<void>;
  exec(
    argv: string[],
    opts?: { check?: boolean },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Copies dist/cm into `server` as {@linkcode CM_BIN}, checks that no deno is
 * there and that `cm --version` runs, and resolves to what it printed (the
 * version and which artefact it is). Throws when any of that fails.
 */
export async function installCm(server: CmTarget): Promise<string> {
  const { path } = await ensureDistCm();
  const deno = await server.exec(["sh", "-c", "command -v deno || ls -d /root/.cache/deno"]);
  if (deno.code === 0) throw new Error(`the server is not bare: it has ${deno.stdout.trim()}`);
  await server.copyIn(path, CM_BIN);
  const r = await server.exec([CM_BIN, "--version"]);
  if (r.code !== 0) {
    throw new Error(`cm does not run in the server: exit ${r.code}\n${r.stderr}${r.stdout}`);
  }
  return r.stdout.trim();
}
