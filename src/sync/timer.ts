/**
 * `cm timer install` / `cm timer uninstall`: the systemd units that run
 * `cm sync --once` on boot and every interval, with a random delay (splay).
 * Idempotent: unit files are compared before they are written, systemd is
 * only reloaded when one changed, and the timer is only enabled or started
 * when it is not already.
 *
 * @module
 */
import type { Executor, Probe } from "../exec/executor.ts";

/** Where unit files go by default. */
export const DEFAULT_UNIT_DIR = "/etc/systemd/system";
/** Unit names. */
export const SERVICE_UNIT = "config-manager-sync.service";
export const TIMER_UNIT = "config-manager-sync.timer";
/** The opt-in service of `cm watch` (`cm timer install --watch`). */
export const WATCH_UNIT = "config-manager-watch.service";
/** Where bootstrap.sh installs cm. */
export const DEFAULT_CM_PATH = "/usr/local/bin/cm";

/** What the units say. */
export interface TimerSpec {
  /** Absolute path of the cm binary or wrapper. */
  cmPath: string;
  interval: number;
  splay: number;
  /** Extra `cm sync` arguments (e.g. --config, --state-dir), already validated. */
  syncArgs?: string[];
  /** Also install and start {@link WATCH_UNIT}: `cm watch` repairing drift within seconds. */
  watch?: boolean;
  /** Extra `cm watch` arguments (e.g. --state-dir). */
  watchArgs?: string[];
}

/** The cm executable for ExecStart: the compiled binary itself, else /usr/local/bin/cm. */
export function defaultCmPath(execPath = Deno.execPath()): string {
  const base = execPath.slice(execPath.lastIndexOf("/") + 1);
  return /^deno(\.exe)?$/.test(base) ? DEFAULT_CM_PATH : execPath;
}

function systemdQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@+,-]+$/.test(word)) return word;
  return `"${
    word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")
  }"`;
}

/** The text of the service unit. */
export function serviceUnit(spec: TimerSpec): string {
  const argv = [spec.cmPath, "sync", "--once", ...(spec.syncArgs ?? [])].map(systemdQuote).join(
    " ",
  );
  return `# Written by cm timer install; cm timer uninstall removes it.
[Unit]
Description=cm sync: pull cookbooks from git and converge this node
Documentation=man:cm(1)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${argv}
TimeoutStartSec=1h
# systemctl stop: SIGTERM to cm alone, which finishes the resource at work (its
# command is not killed under it), skips the rest, runs handlers and exits 143.
KillMode=mixed
TimeoutStopSec=5min
Nice=5
`;
}

/** The text of the watch service unit: `cm watch`, restarted whenever it stops. */
export function watchUnit(spec: TimerSpec): string {
  const argv = [spec.cmPath, "watch", ...(spec.watchArgs ?? [])].map(systemdQuote).join(" ");
  return `# Written by cm timer install --watch; cm timer uninstall removes it.
[Unit]
Description=cm watch: repair drift of managed files within seconds
Documentation=man:cm(1)

[Service]
Type=simple
ExecStart=${argv}
Restart=always
RestartSec=5
Nice=5

[Install]
WantedBy=multi-user.target
`;
}

/** The text of the timer unit. */
export function timerUnit(spec: TimerSpec): string {
  const onBoot = Math.max(1, Math.min(spec.interval, 120));
  return `# Written by cm timer install; cm timer uninstall removes it.
[Unit]
Description=cm sync every ${spec.interval} s (random delay up to ${spec.splay} s)

[Timer]
OnBootSec=${onBoot}s
OnUnitActiveSec=${spec.interval}s
RandomizedDelaySec=${spec.splay}s
AccuracySec=1s
Persistent=true
Unit=${SERVICE_UNIT}

[Install]
WantedBy=timers.target
`;
}

/**
 * How the installed timer's interval and splay (seconds) differ from `want`,
 * as one sentence for a warning; undefined when no timer is installed in
 * `unitDir` or it agrees. Editing `interval:` in the configuration changes
 * nothing until `cm timer install` rewrites the unit.
 */
export function timerMismatch(
  probe: Probe,
  want: { interval: number; splay: number },
  unitDir = DEFAULT_UNIT_DIR,
): string | undefined {
  const bytes = probe.readFile(`${unitDir}/${TIMER_UNIT}`);
  if (bytes === null) return undefined;
  const text = decoder.decode(bytes);
  const seconds = (key: string) => Number(new RegExp(`^${key}=([0-9.]+)s$`, "m").exec(text)?.[1]);
  const has = { interval: seconds("OnUnitActiveSec"), splay: seconds("RandomizedDelaySec") };
  if (has.interval === want.interval && has.splay === want.splay) return undefined;
  const say = (t: { interval: number; splay: number }) =>
    `every ${t.interval} s, splay ${t.splay} s`;
  return `the installed timer runs ${say(has)}, the configuration says ${
    say(want)
  }: run cm timer install to apply it`;
}

/** What install or uninstall did. */
export interface TimerOutcome {
  /** Unit files written or removed. */
  changedFiles: string[];
  /** systemctl actions run (without the "systemctl" prefix). */
  actions: string[][];
  /** A systemctl failure, if one happened. */
  error?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function systemctl(exec: Executor, outcome: TimerOutcome, args: string[]): Promise<boolean> {
  outcome.actions.push(args);
  const r = await exec.run(["systemctl", ...args]);
  if (r.code !== 0) {
    outcome.error = `systemctl ${args.join(" ")} exited ${r.code}: ${
      (r.stderr || r.stdout).trim().split("\n").at(-1)
    }`;
    return false;
  }
  return true;
}

/** Writes the units (when they differ), reloads systemd, enables and starts the timer. */
export async function installTimer(
  exec: Executor,
  spec: TimerSpec,
  unitDir = DEFAULT_UNIT_DIR,
): Promise<TimerOutcome> {
  const outcome: TimerOutcome = { changedFiles: [], actions: [] };
  exec.mkdir(unitDir, {});
  const units = [[SERVICE_UNIT, serviceUnit(spec)], [TIMER_UNIT, timerUnit(spec)]];
  if (spec.watch) units.push([WATCH_UNIT, watchUnit(spec)]);
  for (const [name, text] of units) {
    const path = `${unitDir}/${name}`;
    const current = exec.readFile(path);
    if (current !== null && decoder.decode(current) === text) continue;
    exec.writeFile(path, encoder.encode(text), { mode: 0o644 });
    outcome.changedFiles.push(path);
  }
  exec.flush();
  if (outcome.changedFiles.length && !(await systemctl(exec, outcome, ["daemon-reload"]))) {
    return outcome;
  }
  const enabled = (await exec.run(["systemctl", "is-enabled", "--quiet", TIMER_UNIT])).code === 0;
  const active = (await exec.run(["systemctl", "is-active", "--quiet", TIMER_UNIT])).code === 0;
  if (!enabled || !active) {
    if (!(await systemctl(exec, outcome, ["enable", "--now", TIMER_UNIT]))) return outcome;
  } else if (outcome.changedFiles.some((f) => !f.endsWith(`/${WATCH_UNIT}`))) {
    // A running timer re-arms with the new interval and splay (not for a new watch unit).
    if (!(await systemctl(exec, outcome, ["restart", TIMER_UNIT]))) return outcome;
  }
  if (spec.watch) await startWatch(exec, outcome, `${unitDir}/${WATCH_UNIT}`);
  return outcome;
}

/** Enables and starts the watch service, or restarts it when its unit changed. */
async function startWatch(exec: Executor, outcome: TimerOutcome, path: string): Promise<void> {
  const active = (await exec.run(["systemctl", "is-active", "--quiet", WATCH_UNIT])).code === 0;
  if (!active) await systemctl(exec, outcome, ["enable", "--now", WATCH_UNIT]);
  else if (outcome.changedFiles.includes(path)) {
    await systemctl(exec, outcome, ["restart", WATCH_UNIT]);
  }
}

/** Stops and disables the timer (and the watch service), removes the units and reloads systemd; nothing when they are gone. */
export async function uninstallTimer(
  exec: Executor,
  unitDir = DEFAULT_UNIT_DIR,
): Promise<TimerOutcome> {
  const outcome: TimerOutcome = { changedFiles: [], actions: [] };
  const paths = [TIMER_UNIT, SERVICE_UNIT, WATCH_UNIT].map((name) => `${unitDir}/${name}`);
  if (!paths.some((p) => exec.stat(p))) return outcome;
  if (exec.stat(paths[0])) await systemctl(exec, outcome, ["disable", "--now", TIMER_UNIT]);
  if (exec.stat(paths[2])) await systemctl(exec, outcome, ["disable", "--now", WATCH_UNIT]);
  // A sync in progress finishes on its own; a failed one is forgotten.
  await exec.run(["systemctl", "reset-failed", SERVICE_UNIT]);
  for (const path of paths) {
    if (!exec.stat(path)) continue;
    exec.remove(path);
    outcome.changedFiles.push(path);
  }
  exec.flush();
  await systemctl(exec, outcome, ["daemon-reload"]);
  return outcome;
}
