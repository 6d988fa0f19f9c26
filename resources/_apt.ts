/**
 * apt-get as the `package` and `apt_repository` kinds run it: its options,
 * its environment, and `apt-get update` at most once per run.
 *
 * @module
 */
import type { Executor } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import type { ResourceContext } from "./resource.ts";

/**
 * Options every apt-get run gets: no questions, keep changed config files,
 * wait for the lock; no progress meters, as cm reads the output line by line
 * (without a pty dpkg prints no "(Reading database ... 5%" with carriage
 * returns, only its final count).
 */
export const APT_GET = [
  "apt-get",
  "-q",
  "-y",
  "-o",
  "Dpkg::Use-Pty=0",
  "-o",
  "Dpkg::Options::=--force-confdef",
  "-o",
  "Dpkg::Options::=--force-confold",
  "-o",
  "DPkg::Lock::Timeout=120",
];

/**
 * The environment of apt-get: no debconf questions, no apt-listchanges pager,
 * and needrestart (Ubuntu) only lists services: restarting them is cm's job.
 */
export const APT_ENV = {
  DEBIAN_FRONTEND: "noninteractive",
  APT_LISTCHANGES_FRONTEND: "none",
  NEEDRESTART_MODE: "l",
};

const UPDATE_TIMEOUT_MS = 10 * 60 * 1000;
const UPDATE_STAMP = "/var/lib/apt/periodic/update-success-stamp";

/**
 * Runs `apt-get update` once per run (`again`: also when it already ran, as
 * sources changed since); returns an error text when it failed.
 */
export async function updateLists(
  exec: Executor,
  ctx: ResourceContext,
  again = false,
): Promise<string | undefined> {
  const lists = ctx.once("apt:update", () => ({ updated: false }));
  if (lists.updated && !again) return undefined;
  lists.updated = true;
  const result = await exec.run([...APT_GET, "update"], {
    env: APT_ENV,
    onLine: (line) => ctx.progress(line),
    timeoutMs: UPDATE_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    const error = exitedWith("apt-get update", result);
    ctx.warnOnce(`the package lists could not be refreshed: ${error}`);
    return error;
  }
  // Remember the refresh where apt's own periodic job does, so the next run sees fresh lists.
  try {
    if (!exec.stat("/var/lib/apt/periodic")) exec.mkdir("/var/lib/apt/periodic", {});
    exec.writeFile(UPDATE_STAMP, new Uint8Array(), { mode: 0o644 });
  } catch { /* only an optimisation: the lists directory mtime still tells */ }
  return undefined;
}
