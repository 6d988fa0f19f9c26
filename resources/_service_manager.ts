/**
 * What `service` asks of an init system: the contract the systemd and the
 * init.d managers fulfil.
 *
 * @module
 */
import type { Executor, Probe, RunResult } from "../src/exec/executor.ts";
import type { ResourceContext } from "./resource.ts";

/** What cm reads of one service. */
export interface ServiceState {
  /** `nginx.service` under systemd, the init.d script name otherwise. */
  unit: string;
  found: boolean;
  /**
   * systemd's ActiveState ("active", "inactive", "failed", ...), or "auto-restart" for a unit in a
   * crash loop; "active"/"inactive" for init.d.
   */
  active: string;
  /** Starts at boot; `null` when enable/disable does not apply (static units). */
  enabled: boolean | null;
  /** systemd's UnitFileState ("enabled", "static", ...); absent for init.d. */
  unitFileState?: string;
}

/** A unit cm just started (or restarted), to be checked. */
export interface Started {
  unit: string;
  verb: string;
  /** `ctx.now()` when the start command returned. */
  at: number;
}

/**
 * What a handler ran: nothing (`null`: the service was not running and is not
 * the cookbook's to start), or the verb, its result and whether the unit must
 * now be running (`check`: settle it).
 */
export type Refreshed = { verb: string; result: RunResult; check: boolean } | null;

/** How long a service command may run. */
export const TIMEOUT_MS = 5 * 60 * 1000;

/** One init system's way of reading, changing and checking services. */
export interface ServiceManager {
  /** The tool named in "… exited N" messages. */
  tool: string;
  /** The unit (or script) a service name stands for. */
  unit(name: string): string;
  /** What is missing when a unit is not found: `unit "x.service"`, `init script "/etc/init.d/x"`. */
  missing(unit: string): string;
  /** Reads every spec's unit. @throws {Error} when the init system cannot be asked. */
  read(names: string[], probe: Probe, ctx: ResourceContext): Promise<ServiceState[]>;
  /** Runs before units change (daemon-reload); an error text when that failed. */
  prepare(exec: Executor, ctx: ResourceContext): Promise<string | undefined>;
  /** The argv of `verb` (enable, disable, start, stop, restart, reload...) for a unit. */
  command(unit: string, verb: string): string[];
  /** More about a unit that failed to start: its status with journal lines, or "". */
  explain(exec: Executor, unit: string): Promise<string>;
  /** Why each started unit did not stay up ("not running: ..."), `undefined` when it did. */
  settle(started: Started[], exec: Executor, ctx: ResourceContext): Promise<(string | undefined)[]>;
  /** A handler's restart or reload; `owned` when the cookbook sets the service's state. */
  refresh(
    unit: string,
    action: "restart" | "reload",
    owned: boolean,
    exec: Executor,
  ): Promise<Refreshed>;
}
