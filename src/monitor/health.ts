/**
 * Runs health checks (src/cookbook/health_schema.ts) and says which passed.
 * They get a {@link Probe}: cm itself only looks (a `command` check runs what
 * the cookbook's author wrote, which should only look too). cm keeps no network
 * permission of its own: `http` goes through curl (URL on stdin, never in
 * argv) and `port` through bash's `/dev/tcp`, which connects and exits at once
 * (curl's `telnet://` would hold the connection open until its timeout).
 *
 * @module
 */
import type { Probe, RunResult } from "../exec/executor.ts";
import { tail } from "../exec/output.ts";
import type { HealthCheck } from "../cookbook/health_schema.ts";
import { CURL_ARGV, curlConfig } from "./_curl.ts";

/** The outcome of one check after its retries. */
export interface CheckResult {
  /** `http[http://127.0.0.1/]`, `service[nginx]`...; or the check's `name`. */
  id: string;
  ok: boolean;
  attempts: number;
  /** What the last attempt saw: `status 200`, `exited 1: ...`, `active (running)`. */
  detail: string;
  durationMs: number;
}

/** Waits `ms` milliseconds; injected so that tests never sleep. */
export type Sleep = (ms: number) => Promise<void>;

interface Attempt {
  ok: boolean;
  detail: string;
}

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The id a check is reported under; a password in a URL is masked, a sensitive check named by its kind. */
export function checkId(check: HealthCheck): string {
  if (check.name) return check.name;
  if (check.sensitive) return `${KINDS.find((kind) => kind in check)}[sensitive]`;
  if ("http" in check) return `http[${check.http.replace(/\/\/[^/@]*@/, "//***@")}]`;
  if ("command" in check) return `command[${check.command.join(" ")}]`;
  if ("service" in check) return `service[${check.service}]`;
  return `port[${check.host}:${check.port}]`;
}

const KINDS = ["http", "command", "service", "port"] as const;

/** Why a process failed: its exit status and last lines (up to 20 / 2 KiB, as written), which a sensitive check keeps to itself. */
function failure(result: RunResult, sensitive = false): string {
  if (sensitive) return result.code === 124 ? "timed out" : `exited ${result.code}`;
  const text = tail(result.stderr.trim() ? result.stderr : result.stdout, 20, 2048);
  return result.code === 124 ? text : `exited ${result.code}${text ? `: ${text}` : ""}`;
}

async function http(probe: Probe, check: Extract<HealthCheck, { http: string }>): Promise<Attempt> {
  const config = curlConfig([
    ["url", check.http],
    ["silent"],
    ["show-error"],
    ["max-time", String(check.timeout)],
    ["write-out", "\n%{http_code}"],
  ]);
  const result = await probe.run([...CURL_ARGV], {
    stdin: config,
    timeoutMs: check.timeout * 1000 + 5000,
  });
  if (result.code !== 0) return { ok: false, detail: failure(result, check.sensitive) };
  const cut = result.stdout.lastIndexOf("\n");
  const status = Number(result.stdout.slice(cut + 1));
  const body = result.stdout.slice(0, cut);
  if (status !== check.status) {
    return { ok: false, detail: `status ${status}, expected ${check.status}` };
  }
  if (check.body !== undefined && !body.includes(check.body)) {
    const wanted = check.sensitive ? "the expected text" : `"${check.body}"`;
    return { ok: false, detail: `status ${status}, body does not contain ${wanted}` };
  }
  return { ok: true, detail: `status ${status}` };
}

async function command(
  probe: Probe,
  check: Extract<HealthCheck, { command: string[] }>,
): Promise<Attempt> {
  const result = await probe.run(check.command, { timeoutMs: check.timeout * 1000 });
  return result.code === 0
    ? { ok: true, detail: "exited 0" }
    : { ok: false, detail: failure(result, check.sensitive) };
}

async function port(probe: Probe, check: Extract<HealthCheck, { port: number }>): Promise<Attempt> {
  // The script is constant; host and port arrive as positional arguments.
  const result = await probe.run(
    ["bash", "-c", 'exec 3<>"/dev/tcp/$1/$2"', "cm-port-check", check.host, String(check.port)],
    { timeoutMs: check.timeout * 1000 },
  );
  return result.code === 0
    ? { ok: true, detail: "connected" }
    : { ok: false, detail: failure(result, check.sensitive) };
}

/** What `systemctl show` says about a unit's state. */
export interface UnitState {
  load: string;
  active: string;
  sub: string;
  restarts: number;
}

/** Parses `systemctl show --property=LoadState,ActiveState,SubState,NRestarts` output. */
export function parseUnitState(text: string): UnitState {
  const fields = new Map(
    text.split("\n").map((line) => {
      const i = line.indexOf("=");
      return [line.slice(0, i), line.slice(i + 1).trim()] as const;
    }),
  );
  return {
    load: fields.get("LoadState") ?? "",
    active: fields.get("ActiveState") ?? "",
    sub: fields.get("SubState") ?? "",
    restarts: Number(fields.get("NRestarts") ?? 0) || 0,
  };
}

async function unitState(
  probe: Probe,
  unit: string,
  timeout: number,
  sensitive?: boolean,
): Promise<UnitState | string> {
  const result = await probe.run([
    "systemctl",
    "show",
    "--property=LoadState,ActiveState,SubState,NRestarts",
    "--",
    unit,
  ], { timeoutMs: timeout * 1000 });
  return result.code === 0
    ? parseUnitState(result.stdout)
    : `systemctl show ${failure(result, sensitive)}`;
}

/** The unit's state when it is loaded and active (not waiting to be restarted), else what is wrong. */
async function activeUnit(
  probe: Probe,
  check: Extract<HealthCheck, { service: string }>,
): Promise<UnitState | string> {
  const state = await unitState(probe, check.service, check.timeout, check.sensitive);
  if (typeof state === "string") return state;
  if (state.load === "not-found") return "unit not found";
  if (state.active !== "active" || state.sub === "auto-restart") {
    return `${state.active || "unknown"} (${state.sub || "unknown"})`;
  }
  return state;
}

async function service(
  probe: Probe,
  check: Extract<HealthCheck, { service: string }>,
  sleep: Sleep,
): Promise<Attempt> {
  const first = await activeUnit(probe, check);
  if (typeof first === "string") return { ok: false, detail: first };
  await sleep(check.settle * 1000);
  const second = await activeUnit(probe, check);
  if (typeof second === "string") return { ok: false, detail: second };
  const restarts = second.restarts - first.restarts;
  if (restarts !== 0) {
    return {
      ok: false,
      detail: `restarting: systemd restarted it ${restarts} time(s) in ${check.settle} s`,
    };
  }
  return { ok: true, detail: `${second.active} (${second.sub})` };
}

function attempt(probe: Probe, check: HealthCheck, sleep: Sleep): Promise<Attempt> {
  if ("http" in check) return http(probe, check);
  if ("command" in check) return command(probe, check);
  if ("service" in check) return service(probe, check, sleep);
  return port(probe, check);
}

/**
 * The longest wait between two attempts, in seconds: with `retries: 20` the
 * doubling would otherwise wait 2^20 backoffs (years at `backoff: 60`), the
 * run lock held all along.
 */
export const MAX_BACKOFF_SECONDS = 60;

/**
 * Runs one check, retrying after `backoff`, `2 × backoff`, ... seconds (each
 * wait at most {@link MAX_BACKOFF_SECONDS}) until it passes or its retries
 * are used up. Never throws for a failing check.
 */
export async function runCheck(
  probe: Probe,
  check: HealthCheck,
  sleep: Sleep = realSleep,
): Promise<CheckResult> {
  const started = performance.now();
  for (let attempts = 1;; attempts++) {
    const { ok, detail } = await attempt(probe, check, sleep);
    if (ok || attempts > check.retries) {
      return {
        id: checkId(check),
        ok,
        attempts,
        detail,
        durationMs: Math.round(performance.now() - started),
      };
    }
    await sleep(Math.min(check.backoff * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS) * 1000);
  }
}

/** Runs the checks in order (one at a time: they may share a service being restarted). */
export async function runHealthChecks(
  probe: Probe,
  checks: HealthCheck[],
  sleep: Sleep = realSleep,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) results.push(await runCheck(probe, check, sleep));
  return results;
}
