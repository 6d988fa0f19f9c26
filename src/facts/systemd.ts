/**
 * What systemd says of units (`systemctl show`), unit names, and whether
 * systemd runs at all.
 *
 * @module
 */
import type { Probe, ProcessOptions } from "../exec/executor.ts";
import { exitedWith } from "../exec/output.ts";

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

/** Whether `path` is a unit file systemd loads (it lies in one of {@link UNIT_DIRS}). */
export function isUnitFile(path: string): boolean {
  return UNIT_DIRS.some((dir) => path.startsWith(`${dir}/`));
}

/** Whether systemd is the running init (what sd_booted(3) checks). */
export function systemdRunning(probe: Probe): boolean {
  return probe.stat("/run/systemd/system")?.kind === "directory";
}

/** One `systemctl show` of comma-separated `properties` for every unit. */
export function showArgv(units: string[], properties: string): string[] {
  return ["systemctl", "show", `--property=${properties}`, ...units];
}

/**
 * Parses `systemctl show` output: one block of key=value lines per unit,
 * blank-line separated, in the order the units were named.
 */
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
 * Runs {@link showArgv} and parses it: one property block per unit, in order.
 *
 * @throws {Error} "systemctl show exited N: tail" when it fails or prints a
 *   block count other than the number of units.
 */
export async function showUnits(
  probe: Probe,
  units: string[],
  properties: string,
  options: ProcessOptions = {},
): Promise<Record<string, string>[]> {
  const result = await probe.run(showArgv(units, properties), options);
  const blocks = parseShow(result.stdout);
  if (result.code === 0 && blocks.length === units.length) return blocks;
  throw new Error(exitedWith("systemctl show", result));
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

/** Whether an ActiveState counts as running. */
export function isActive(activeState: string): boolean {
  return ["active", "reloading", "activating", "refreshing"].includes(activeState);
}

/** The init.d script name of a service: `nginx.service` → `nginx`. */
export function scriptName(name: string): string {
  return name.replace(/\.service$/, "");
}

/** Whether an init.d script has a start link in runlevel 2 (`/etc/rc2.d/S??name`). */
export function sysvEnabled(probe: Probe, script: string): boolean {
  for (let i = 0; i < 100; i++) {
    if (probe.stat(`/etc/rc2.d/S${String(i).padStart(2, "0")}${script}`)) return true;
  }
  return false;
}
