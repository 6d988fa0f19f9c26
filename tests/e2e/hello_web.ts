/**
 * Helpers for end-to-end scenarios: a fresh testbed server with cm installed
 * and the repository's cookbooks copied in, cm runs with their wall time, and
 * the service facts (PIDs, start times, reloads) that tell a restart from a
 * reload from nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { bootServer, type Server, type ServerOptions } from "../testbed/mod.ts";
import type { RunReport } from "../../src/engine/report.ts";
import { installCm } from "./install_cm.ts";

/** Where the repository's cookbooks/ folder is copied in each server. */
export const COOKBOOKS = "/srv/cookbooks";
/** The hello-web cookbook inside the server. */
export const HELLO_WEB = `${COOKBOOKS}/hello-web.yaml`;
/** The PHP-FPM unit on Debian bookworm (what `facts.php_version` resolves to there). */
export const PHP_FPM = "php8.2-fpm";

const REPO_COOKBOOKS = new URL("../../cookbooks", import.meta.url).pathname;

/**
 * Boots a fresh server, installs dist/cm ({@linkcode installCm}), says which
 * artefact it is, and copies the repository's cookbooks/ to
 * {@linkcode COOKBOOKS}. Fails, never skips, with
 * a message saying so when the machine cannot boot containers.
 */
export async function freshServer(opts: ServerOptions = {}): Promise<Server> {
  let srv: Server;
  try {
    srv = await bootServer(opts);
  } catch (e) {
    throw new Error(
      "The end-to-end tests need a machine that can boot a systemd container " +
        "(root, systemd-nspawn, cgroups, the cached Debian image): " + (e as Error).message,
      { cause: e },
    );
  }
  try {
    console.log(`cm in the server: ${await installCm(srv)}`);
    await srv.copyIn(REPO_COOKBOOKS, COOKBOOKS);
    return srv;
  } catch (e) {
    await srv.shutdown();
    throw e;
  }
}

/** What a cm run inside a server printed, its exit code and its wall time. */
export interface CmRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time seen from the host, process start to exit. */
  seconds: number;
}

/** Runs `cm ...args` inside the server. */
export async function cm(srv: Server, args: string[]): Promise<CmRun> {
  const start = performance.now();
  const r = await srv.exec(["cm", ...args]);
  return { ...r, seconds: (performance.now() - start) / 1000 };
}

/** Runs `cm <sub> --json ...args`, expects `code`, and returns the parsed report. */
export async function cmJson(
  srv: Server,
  sub: "apply" | "plan",
  args: string[],
  code: number,
): Promise<{ report: RunReport; run: CmRun }> {
  const run = await cm(srv, [sub, "--json", ...args]);
  const context = `cm ${sub} ${args.join(" ")}: exit ${run.code}\nstderr:\n${
    run.stderr.slice(-4000)
  }\nstdout:\n${run.stdout.slice(-4000)}`;
  assert.equal(run.code, code, context);
  let report: RunReport;
  try {
    report = JSON.parse(run.stdout);
  } catch (e) {
    throw new Error(`${context}\n(stdout is not JSON: ${(e as Error).message})`);
  }
  return { report, run };
}

/** `{id: [field, ...]}` of the resources a report marks changed (or would change). */
export function changedFields(report: RunReport): Record<string, string[]> {
  return Object.fromEntries(
    report.resources.filter((r) => r.status === "changed")
      .map((r) => [r.id, r.changes.map((c) => c.field).sort()]),
  );
}

/** `"action id <- triggeredBy"` lines of a report's handlers, sorted. */
export function handlerLines(report: RunReport): string[] {
  return report.handlers.map((h) => `${h.action} ${h.id} <- ${h.triggeredBy.join(", ")}`).sort();
}

/** `curl -s URL` inside the server: its exit code and body. */
export async function curl(srv: Server, path = "/"): Promise<{ code: number; body: string }> {
  const r = await srv.exec(["curl", "-s", "--max-time", "10", `http://127.0.0.1${path}`]);
  return { code: r.code, body: r.stdout };
}

/** The site's body fetched from the host (the servers share its network). */
export async function fetchFromHost(path = "/"): Promise<string> {
  const res = await fetch(`http://127.0.0.1${path}`, { signal: AbortSignal.timeout(10_000) });
  return await res.text();
}

/** What tells whether a unit was restarted or reloaded since the last look. */
export interface UnitMark {
  activeState: string;
  mainPid: string;
  /** Monotonic µs of the last entry into "active" (changes on every restart). */
  activeEnter: string;
  /** Monotonic µs of the main process's start (changes on every restart). */
  execMainStart: string;
  /** How many reloads the journal recorded. */
  reloads: number;
}

/** Reads {@linkcode UnitMark} of `unit`. */
export async function unitMark(srv: Server, unit: string): Promise<UnitMark> {
  const show = await srv.exec([
    "systemctl",
    "show",
    "-p",
    "ActiveState,MainPID,ActiveEnterTimestampMonotonic,ExecMainStartTimestampMonotonic",
    unit,
  ], { check: true });
  const p = Object.fromEntries(
    show.stdout.trim().split("\n").map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  // Everything logged before this call is in the journal files when it returns.
  await srv.exec(["journalctl", "--sync"], { check: true });
  const journal = await srv.exec(["journalctl", "--no-pager", "-o", "cat", "-u", unit], {
    check: true,
  });
  return {
    activeState: p.ActiveState,
    mainPid: p.MainPID,
    activeEnter: p.ActiveEnterTimestampMonotonic,
    execMainStart: p.ExecMainStartTimestampMonotonic,
    reloads: journal.stdout.split("\n").filter((l) => /^Reloaded\b/.test(l)).length,
  };
}

/** Asserts `unit` was neither restarted nor reloaded between two marks. */
export function assertUntouched(unit: string, before: UnitMark, after: UnitMark): void {
  assert.equal(after.activeState, "active", `${unit} is not active`);
  assert.deepEqual(after, before, `${unit} was restarted or reloaded`);
}

/** Asserts `unit` was restarted (new main process) and is active. */
export function assertRestarted(unit: string, before: UnitMark, after: UnitMark): void {
  assert.equal(after.activeState, "active", `${unit} is not active`);
  assert.notEqual(after.mainPid, before.mainPid, `${unit} kept its main PID: not restarted`);
  assert.notEqual(after.activeEnter, before.activeEnter, `${unit} was not restarted`);
}

/** Asserts `unit` was reloaded exactly once and not restarted. */
export function assertReloaded(unit: string, before: UnitMark, after: UnitMark): void {
  assert.equal(after.activeState, "active", `${unit} is not active`);
  assert.equal(after.mainPid, before.mainPid, `${unit} got a new main PID: restarted`);
  assert.equal(after.execMainStart, before.execMainStart, `${unit} was restarted`);
  assert.equal(after.reloads, before.reloads + 1, `${unit} was not reloaded once`);
}

/** sha256 (hex) of a file inside the server, or undefined when it does not exist. */
export async function sha256In(srv: Server, path: string): Promise<string | undefined> {
  const r = await srv.exec(["sha256sum", path]);
  return r.code === 0 ? r.stdout.split(" ")[0] : undefined;
}

/** Reads a text file inside the server. */
export async function readIn(srv: Server, path: string): Promise<string> {
  return (await srv.exec(["cat", path], { check: true })).stdout;
}

/** One row of the timings table. */
export interface Timing {
  scenario: string;
  /** Wall time of the first `cm apply` on the fresh server, seconds. */
  firstApply?: number;
  /** Wall time of a `cm apply` with nothing to do, seconds. */
  noopApply?: number;
  /** Other cm runs of the scenario, by label. */
  other?: Record<string, number>;
}

/** The timings table as text. */
export function timingTable(rows: Timing[]): string {
  const f = (n?: number) => n === undefined ? "-" : `${n.toFixed(2)} s`;
  const lines = [
    "| scenario | first cm apply | no-op cm apply | other cm runs |",
    "|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.scenario} | ${f(r.firstApply)} | ${f(r.noopApply)} | ${
        Object.entries(r.other ?? {}).map(([k, v]) => `${k} ${f(v)}`).join(", ") || "-"
      } |`
    ),
  ];
  return lines.join("\n");
}
