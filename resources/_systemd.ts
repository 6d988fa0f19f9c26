/**
 * Internals of the `service` resource: unit names, `systemctl show` parsing and
 * the init.d fallback's view of the machine.
 *
 * @module
 */
import type { Probe } from "../src/exec/executor.ts";

/** Directories systemd loads unit files from: a changed file here needs `daemon-reload`. */
export const UNIT_DIRS = [
  "/etc/systemd/system",
  "/lib/systemd/system",
  "/usr/lib/systemd/system",
  "/run/systemd/system",
];

const UNIT_TYPES = /\.(service|socket|timer|target|mount|automount|path|swap|slice|scope|device)$/;

/** `nginx` → `nginx.service`; `php8.2-fpm` → `php8.2-fpm.service`; `x.timer` stays. */
export function unitName(name: string): string {
  return UNIT_TYPES.test(name) ? name : `${name}.service`;
}

/** The init.d script name of a service: `nginx.service` → `nginx`. */
export function scriptName(name: string): string {
  return name.replace(/\.service$/, "");
}

/** Whether systemd is the running init (what sd_booted(3) checks). */
export function systemdRunning(probe: Probe): boolean {
  return probe.stat("/run/systemd/system")?.kind === "directory";
}

/** The properties read of every unit, in one `systemctl show`. */
export const SHOW_PROPERTIES = "Id,LoadState,ActiveState,UnitFileState,SubState";

/**
 * The properties read of units cm just started or restarted, to see whether
 * they stayed up: `Type` decides whether a crash right after the start is
 * still possible (simple, exec, idle), `NRestarts` reveals a crash that
 * `Restart=` already papered over.
 */
export const VERIFY_PROPERTIES = "Id,LoadState,ActiveState,SubState,Result,Type,NRestarts";

/** Parses `systemctl show` output: one block of key=value lines per unit, blank-line separated. */
export function parseShow(stdout: string): Record<string, string>[] {
  return stdout.trim().split(/\n[ \t]*\n/).filter((block) => block.trim() !== "").map(
    (block) => {
      const props: Record<string, string> = {};
      for (const line of block.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return props;
    },
  );
}

/**
 * Whether a unit starts at boot, from its UnitFileState: `null` for units
 * that `systemctl enable` does not govern (static, generated, transient...).
 */
export function enabledOf(unitFileState: string): boolean | null {
  if (unitFileState === "enabled" || unitFileState === "enabled-runtime") return true;
  if (
    ["disabled", "masked", "masked-runtime", "linked", "linked-runtime"].includes(unitFileState)
  ) {
    return false;
  }
  return null;
}

/**
 * Service types whose start job finishes as soon as the process is forked or
 * exec'd, before it had a chance to fail: they get a moment to crash.
 */
export const EARLY_SUCCESS_TYPES = ["simple", "exec", "idle"];

/** Whether an ActiveState counts as running. */
export function isActive(activeState: string): boolean {
  return ["active", "reloading", "activating", "refreshing"].includes(activeState);
}

/** Whether an init.d script has a start link in runlevel 2 (`/etc/rc2.d/S??name`). */
export function sysvEnabled(probe: Probe, script: string): boolean {
  for (let i = 0; i < 100; i++) {
    if (probe.stat(`/etc/rc2.d/S${String(i).padStart(2, "0")}${script}`)) return true;
  }
  return false;
}
