/**
 * Installs cm into a testbed server as `/usr/local/bin/cm`, running under
 * exactly the permission flags `deno compile` bakes into the shipped binary
 * (src/permissions.ts). The compiled binary cannot be built here (`deno
 * compile` needs its `denort` runtime from the network), so this is the
 * closest stand-in:
 *
 * - `main.ts` is bundled once per test process with `deno bundle` into one
 *   JavaScript file (npm dependencies included, so the server needs no
 *   network and no npm cache);
 * - the host's own `deno` binary is copied next to it (the host runs Debian
 *   bookworm's glibc, like the servers);
 * - `/usr/local/bin/cm` is a wrapper:
 *   `exec /usr/local/lib/cm/deno run --quiet --no-config <PERMISSION_FLAGS> /usr/local/lib/cm/cm.js "$@"`.
 *   `--no-config` stops deno from picking up a deno.json from the working
 *   directory, as the compiled binary would not.
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
 * Note for `cm timer install` inside a server: `Deno.execPath()` is
 * `/usr/local/lib/cm/deno` there, so cm's default path for the unit's
 * ExecStart is `/usr/local/bin/cm` (src/sync/timer.ts), i.e. this wrapper.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../../src/permissions.ts";

/** Where {@linkcode installCm} puts things inside the server. */
export const CM_LIB_DIR = "/usr/local/lib/cm";
/** The wrapper's path inside the server (on the default PATH). */
export const CM_BIN = "/usr/local/bin/cm";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

/** The part of a testbed Server that {@linkcode installCm} uses. */
export interface CmTarget {
  copyIn(hostPath: string, pathInServer: string): Promise<void>;
  exec(
    argv: string[],
    opts?: { check?: boolean },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** The wrapper script's text for a bundle and deno binary installed under `libDir`. */
export function wrapperScript(libDir = CM_LIB_DIR): string {
  const quote = (w: string) =>
    /^[A-Za-z0-9_./:=,+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
  const argv = [`${libDir}/deno`, "run", "--quiet", "--no-config", ...PERMISSION_FLAGS];
  return [
    "#!/bin/sh",
    "# cm from a bundle of main.ts, under the permission flags of the compiled binary",
    "# (src/permissions.ts). Installed by tests/e2e/install_cm.ts.",
    `exec ${argv.map(quote).join(" ")} ${libDir}/cm.js "$@"`,
    "",
  ].join("\n");
}

let bundled: Promise<string> | undefined;

/**
 * Bundles main.ts into one JavaScript file (once per process; later calls
 * return the same path) and returns the host directory holding `cm.js` and
 * the `cm` wrapper. Throws with deno's output when bundling fails.
 */
export function buildCmBundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "cm-bundle-" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "deno", "-o", `${dir}/cm.js`, MAIN],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
      throw new Error(`deno bundle main.ts failed (exit ${out.code}):\n${text.trim()}`);
    }
    await Deno.writeTextFile(`${dir}/cm`, wrapperScript(), { mode: 0o755 });
    // Removed when the test process exits (best effort; it lives in the temp dir).
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
    return dir;
  })();
  // A failed build is not cached: the next caller retries and sees the error itself.
  bundled.catch(() => bundled = undefined);
  return bundled;
}

/**
 * Makes `cm` available in `server` as {@linkcode CM_BIN}: copies the bundle,
 * the host's deno binary and the wrapper, then checks that `cm --version`
 * runs. Works with any testbed {@linkcode Server}.
 */
export async function installCm(server: CmTarget): Promise<void> {
  const dir = await buildCmBundle();
  await server.copyIn(`${dir}/cm.js`, `${CM_LIB_DIR}/cm.js`);
  await server.copyIn(Deno.execPath(), `${CM_LIB_DIR}/deno`);
  await server.copyIn(`${dir}/cm`, CM_BIN);
  const r = await server.exec([CM_BIN, "--version"]);
  if (r.code !== 0) {
    throw new Error(`cm does not run in the server: exit ${r.code}\n${r.stderr}${r.stdout}`);
  }
}
