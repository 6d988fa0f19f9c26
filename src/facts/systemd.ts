/**
 * What systemd says of units (`systemctl show`), unit names, and whether
 * systemd runs at all.
 *
 * @module
 */
import type { Probe, ProcessOptions } from "../exec/executor.ts";
import { exitedWith } from "../exec/output.ts";

const UNIT_TYPES = /\.(service|socket|timer|target|mount|automount|path|swap|slice|scope|device)$/;

/** `nginx` → `nginx.service`; `php8.2-fpm` → `php8.2-fpm.service`; `x.timer` stays. */
export function unitName(name: string): string {
  return UNIT_TYPES.test(name) ? name : `${name}.service`;
}

/** Whether systemd is the running init (what sd_booted(3) checks). */
export function systemdRunning(probe: Probe): boolean {
  return probe.stat("/run/systemd/system")?.kind === "directory";
}

/** One `systemctl show` of comma-separated `properties` for every unit. */
export function showArgv(units: string[], properties: string): string[] {
  return ["systemctl", "show", `--property=${properties}`, "--", ...units];
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

/** `systemctl list-unit-files`: every unit file systemd knows, for "did you mean". */
export const LIST_UNIT_FILES_ARGV = ["systemctl", "list-unit-files", "--no-legend", "--no-pager"];

/**
 * The names of every unit file systemd knows (`nginx.service`, `getty@.service`...),
 * one `systemctl list-unit-files`.
 *
 * @throws {Error} "systemctl list-unit-files exited N: tail" when it fails.
 */
export async function listUnitFiles(probe: Probe): Promise<string[]> {
  const result = await probe.run(LIST_UNIT_FILES_ARGV);
  if (result.code !== 0) throw new Error(exitedWith("systemctl list-unit-files", result));
  return parseUnitFiles(result.stdout);
}

/** The unit names (first column) of `systemctl list-unit-files --no-legend` output. */
function parseUnitFiles(stdout: string): string[] {
  return stdout.split("\n").map((line) => line.trim().split(/\s+/)[0]).filter((u) => u !== "");
}

/**
 * What a UnitFileState says about starting at the next boot: `enabled`, and
 * why `systemctl enable` / `disable` cannot change it (`cannotEnable`,
 * `cannotDisable`, with `NAME` for the unit); or `via`, when the state alone
 * does not tell: `also` (the units in its `[Install] Also=` decide),
 * `source` (a generated unit: an init.d script in SourcePath is enabled by
 * its rc2.d links, anything else comes from its generator's input).
 */
export type UnitFileRule =
  | { enabled: boolean; cannotEnable?: string; cannotDisable?: string }
  | { via: "also" | "source" };

/**
 * Every UnitFileState systemd 252–256 reports, and what cm makes of it.
 * Source: systemctl(1), "is-enabled output" table
 * (https://www.freedesktop.org/software/systemd/man/latest/systemctl.html#is-enabled%20UNIT%E2%80%A6),
 * and the unit_file_state_table in src/shared/install.c. Enabled means for
 * the next boot: links under /run (`-runtime`) vanish with a reboot.
 */
export const UNIT_FILE_STATES: Readonly<Record<string, UnitFileRule>> = {
  enabled: { enabled: true },
  disabled: { enabled: false },
  // Enabled only until the next boot: `systemctl enable` adds the lasting links.
  "enabled-runtime": { enabled: false },
  // Made available with `systemctl link`: `systemctl enable` works on it.
  linked: { enabled: false },
  "linked-runtime": {
    enabled: false,
    cannotEnable:
      "unit file is linked only until the next boot (linked-runtime): put it under /etc/systemd/system",
  },
  alias: {
    enabled: false,
    cannotEnable: "NAME is an alias of another unit: name that unit",
    cannotDisable: "NAME is an alias of another unit: name that unit",
  },
  masked: {
    enabled: false,
    cannotEnable: "unit is masked: run systemctl unmask NAME first",
  },
  "masked-runtime": {
    enabled: false,
    cannotEnable: "unit is masked until the next boot: run systemctl unmask --runtime NAME first",
    cannotDisable:
      "unit is masked until the next boot, so whether it starts at boot cannot be read: run systemctl unmask --runtime NAME first",
  },
  static: {
    enabled: false,
    cannotEnable: "unit has no [Install] section (static): cannot be enabled",
  },
  transient: {
    enabled: false,
    cannotEnable: "unit is transient (created at runtime, e.g. by systemd-run): cannot be enabled",
  },
  indirect: { via: "also" },
  generated: { via: "source" },
  // Older systemd says "bad" for SysV scripts; anything else is a broken unit file.
  bad: { via: "source" },
  // Loaded without a unit file (device, scope units).
  "": { enabled: false, cannotEnable: "unit has no unit file: cannot be enabled" },
};

/** The rule for a state this table does not know (a newer systemd): refuse both ways. */
export function unitFileRule(state: string): UnitFileRule {
  const known = UNIT_FILE_STATES[state];
  if (known) return known;
  const why = `systemd reports UnitFileState="${state}", which cm does not know`;
  return { enabled: false, cannotEnable: why, cannotDisable: why };
}

/**
 * Every ActiveState systemd 252–256 reports (systemd.unit(5), "ActiveState";
 * `refreshing` since 254) and whether it counts as running. A state missing
 * here counts as not running: cm starts the unit and checks it came up.
 */
export const ACTIVE_STATES: Readonly<Record<string, boolean>> = {
  active: true,
  reloading: true,
  activating: true,
  refreshing: true,
  inactive: false,
  failed: false,
  deactivating: false,
  maintenance: false,
};

/** Whether an ActiveState counts as running. */
export function isActive(activeState: string): boolean {
  return ACTIVE_STATES[activeState] ?? false;
}

/**
 * The units `[Install] Also=` names in a unit file's text (the
 * section's other keys and other sections are ignored).
 */
export function alsoUnits(text: string): string[] {
  let inInstall = false;
  const units: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) inInstall = line === "[Install]";
    const also = inInstall ? /^Also\s*=\s*(.*)$/.exec(line) : null;
    if (also) units.push(...also[1].split(/\s+/).filter((u) => u !== ""));
  }
  return units;
}

/** The init.d script a generated unit comes from (`SourcePath=/etc/init.d/x`), if any. */
export function sysvSource(sourcePath: string | undefined): string | undefined {
  return /^\/etc\/init\.d\/([^/]+)$/.exec(sourcePath ?? "")?.[1];
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
