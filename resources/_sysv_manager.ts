/**
 * Services without systemd (plain containers): `service NAME VERB` and
 * `update-rc.d NAME enable|disable`, and cm says so once per run.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import { exitedWith } from "../src/exec/output.ts";
import { scriptName, sysvEnabled } from "../src/facts/systemd.ts";
import type { ResourceContext } from "./resource.ts";
import {
  type ServiceManager,
  type ServiceState,
  type Started,
  TIMEOUT_MS,
} from "./_service_manager.ts";

/** What cm says once when it manages services without systemd. */
export const NO_SYSTEMD_WARNING =
  "systemd is not running: managing services with service(8) and update-rc.d";

/** How long after a start cm asks an init script whether its service still runs (ms). */
export const GRACE_MS = 400;

function status(exec: Probe, script: string) {
  return exec.run(["service", script, "status"], { timeoutMs: TIMEOUT_MS });
}

async function read(
  names: string[],
  probe: Probe,
  ctx: ResourceContext,
): Promise<ServiceState[]> {
  ctx.warnOnce(NO_SYSTEMD_WARNING);
  const states: ServiceState[] = [];
  for (const script of names.map(scriptName)) {
    if (!probe.stat(`/etc/init.d/${script}`)) {
      states.push({ unit: script, found: false, active: "inactive", enabled: false });
      continue;
    }
    const result = await status(probe, script);
    states.push({
      unit: script,
      found: true,
      active: result.code === 0 ? "active" : "inactive",
      enabled: sysvEnabled(probe, script),
    });
  }
  return states;
}

/** After an init script's start: one `service NAME status`, a moment later. */
async function settle(
  started: Started[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<(string | undefined)[]> {
  if (started.length === 0) return [];
  const last = Math.max(...started.map((s) => s.at));
  await ctx.sleep(Math.max(0, last + GRACE_MS - ctx.now()));
  const verdicts: (string | undefined)[] = [];
  for (const s of started) {
    const result = await status(exec, s.unit);
    verdicts.push(
      result.code === 0
        ? undefined
        : `not running: ${exitedWith(`service ${s.unit} status`, result)}`,
    );
  }
  return verdicts;
}

function command(script: string, verb: string): string[] {
  if (verb === "enable" || verb === "disable") return ["update-rc.d", script, verb];
  return ["service", script, verb];
}

/** init.d scripts as the service manager. */
export const sysvManager: ServiceManager = {
  tool: "service",
  unit: scriptName,
  missing: (script) => `init script "/etc/init.d/${script}"`,
  read,
  prepare(_exec, ctx) {
    ctx.warnOnce(NO_SYSTEMD_WARNING);
    return Promise.resolve(undefined);
  },
  command,
  explain: () => Promise.resolve(""),
  settle,
  async refresh(script, action, owned, exec) {
    // Not owned: touch it only when it runs.
    if (!owned && (await status(exec, script)).code !== 0) return null;
    const result = await exec.run(command(script, action), { timeoutMs: TIMEOUT_MS });
    if (result.code === 0 || action === "restart") return { verb: action, result, check: true };
    // Many init scripts have no reload: a restart still applies the new configuration.
    const restart = await exec.run(command(script, "restart"), { timeoutMs: TIMEOUT_MS });
    return { verb: "restart", result: restart, check: true };
  },
};
