/**
 * What a person sees: one line per changed resource, a summary line, colour
 * only on a terminal and never with NO_COLOR. Every text that came from
 * elsewhere (ids, paths, values, errors, command output) goes through
 * `printable`, so that a name holding a newline or an escape sequence can
 * neither forge a line nor drive the terminal.
 *
 * Streams: the run's report (every resource and handler line, failures
 * included, and the summary) goes to stdout, in the order it happened, so
 * `cm plan > plan.txt` or a pipe keeps all of it; stderr carries what is not
 * the report: progress of long work, warnings, signals, and the errors that
 * stop cm before a run. Under --json stdout holds the JSON only. Under
 * systemd, failures and refusals carry the journal's err/warning priority
 * (see journal.ts), whichever stream they are on.
 *
 * @module
 */
import type { Change } from "../../resources/resource.ts";
import type {
  HandlerResult,
  HealthRecord,
  ResourceResult,
  RollbackRecord,
  RunReport,
} from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";
import { printable, printableLines } from "../exec/output.ts";
import type { Resync } from "../app/health.ts";
import { describeDisabled, type DisabledMark } from "../state/disabled.ts";
import { humanTime } from "../text.ts";
import { journalStreams, type Priority, withPriority } from "./journal.ts";

/** How much to print. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** Where and how to print; `priority` marks failures (err) and refusals (warning). */
export interface Printer {
  out(line: string, priority?: Priority): void;
  err(line: string, priority?: Priority): void;
  color: boolean;
  verbosity: Verbosity;
  /** Show unified diffs of file content. */
  diff: boolean;
}

const encoder = new TextEncoder();

/** Writes all of `bytes`; a reader that went away (`cm history | head`) is no reason to stop a run. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  try {
    for (let n = 0; n < bytes.length;) n += stream.writeSync(bytes.subarray(n));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

/** A printer for the real terminal, or the journal (priority prefixes) under systemd. */
export function terminalPrinter(verbosity: Verbosity, diff: boolean): Printer {
  const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
  const journal = journalStreams();
  const line = (text: string, priority: Priority | undefined, toJournal: boolean) =>
    encoder.encode(`${toJournal ? withPriority(text, priority) : text}\n`);
  return {
    out: (text, priority) => writeAll(Deno.stdout, line(text, priority, journal.out)),
    err: (text, priority) => writeAll(Deno.stderr, line(text, priority, journal.err)),
    color,
    verbosity,
    diff,
  };
}

/**
 * `head` then the first line of `text`, its other lines indented under it:
 * a tool's multi-line error kept as the tool wrote it, each line {@link printable}.
 */
export function blockLines(head: string, text: string): string[] {
  const [first, ...rest] = printableLines(text);
  return [`${head}${first}`, ...rest.map((line) => `    ${line}`)];
}

/** Prints {@link blockLines} on stdout, every line with `priority`. */
function outBlock(p: Printer, head: string, text: string, priority?: Priority): void {
  for (const line of blockLines(head, text)) p.out(line, priority);
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;

function paint(p: Printer, colour: keyof typeof CODES, text: string): string {
  return p.color ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") {
    return /^[0-9a-f]{64}$/.test(value) ? value.slice(0, 12) : printable(value);
  }
  return printable(JSON.stringify(value));
}

/** `mode: 0600 → 0644 (note)` */
export function formatChange(change: Change): string {
  const arrow = change.before === change.after
    ? show(change.after)
    : `${show(change.before)} → ${show(change.after)}`;
  return `${change.field}: ${arrow}${change.note ? ` (${printable(change.note)})` : ""}`;
}

/**
 * Prints one resource's result as it finishes; a failure names where the
 * resource was declared: `failed    file[/etc/x] at web.yaml:12:7: ...`.
 */
export function printResult(p: Printer, plan: boolean, r: ResourceResult): void {
  if (r.status === "unchanged") {
    if (p.verbosity === "verbose") p.out(paint(p, "dim", `unchanged ${printable(r.id)}`));
    return;
  }
  const id = printable(r.id);
  if (r.status === "failed") {
    const label = paint(p, "red", plan ? "will fail" : "failed   ");
    outBlock(p, `${label} ${id} at ${printable(r.at)}: `, r.error ?? "", "err");
    return;
  }
  if (r.status === "skipped") {
    // Info: a false `when:` skips by design; a failed requirement has its own err line.
    outBlock(p, `${paint(p, "yellow", "skipped  ")} ${id}: `, r.error ?? "");
    return;
  }
  if (p.verbosity === "quiet") return;
  const label = plan ? paint(p, "yellow", "would    ") : paint(p, "green", "changed  ");
  p.out(`${label} ${id}: ${r.changes.map(formatChange).join(", ")}`);
  if (p.diff && r.diff) printDiff(p, r.diff);
}

/** Prints a unified diff indented under its resource's line, coloured on a terminal. */
export function printDiff(p: Printer, diff: string): void {
  for (const line of diff.trimEnd().split("\n")) p.out(`    ${diffColour(p, printable(line))}`);
}

function diffColour(p: Printer, line: string): string {
  if (line.startsWith("+") && !line.startsWith("+++")) return paint(p, "green", line);
  if (line.startsWith("-") && !line.startsWith("---")) return paint(p, "red", line);
  if (line.startsWith("@@")) return paint(p, "cyan", line);
  return line;
}

/** Prints a handler (restart/reload) as it finishes. */
export function printHandler(p: Printer, plan: boolean, h: HandlerResult): void {
  const because = `after ${printable(h.triggeredBy.join(", "))} changed${
    h.pendingSince ? ` (pending since ${humanTime(h.pendingSince)}: an earlier try failed)` : ""
  }`;
  const id = printable(h.id);
  if (h.status === "failed") {
    outBlock(
      p,
      `${paint(p, "red", "failed   ")} ${id}: ${h.action} ${because}: `,
      h.error ?? "",
      "err",
    );
  } else if (p.verbosity !== "quiet") {
    p.out(
      `${
        paint(p, plan ? "yellow" : "green", plan ? "would    " : "refreshed")
      } ${id}: ${h.action} ${because}`,
    );
  }
}

/**
 * Prints health after an apply or a rollback (part of the run's report, so on
 * stdout): failures always, passes unless quiet.
 */
export function printHealth(p: Printer, h: HealthRecord): void {
  const unhealthy = paint(p, "red", "unhealthy");
  for (const failure of h.failures) outBlock(p, `${unhealthy} `, failure, "err");
  for (const c of h.checks) {
    if (!c.ok) outBlock(p, `${unhealthy} ${printable(c.id)}: `, c.detail, "err");
    else if (p.verbosity !== "quiet") {
      p.out(`${paint(p, "green", "healthy  ")} ${printable(c.id)}: ${printable(c.detail)}`);
    }
  }
}

/**
 * Prints what a rollback restored and how it ended (on stdout, with the run's
 * report); with `checks`, the health checks run after the restore come between,
 * in the order they ran.
 */
export function printRollback(p: Printer, r: RollbackRecord, checks = false): void {
  for (const x of [...r.restored, ...r.refreshed]) {
    const id = printable(x.id);
    if (!x.ok) outBlock(p, `${paint(p, "red", "failed   ")} restore ${id}: `, x.error ?? "", "err");
    else if (p.verbosity !== "quiet") p.out(`${paint(p, "yellow", "restored ")} ${id}`);
  }
  if (checks) printHealth(p, r.health);
  p.out(rollbackLine(r), r.ok ? undefined : "err");
}

/** What to tell someone who rolled back a run of `cm sync` by hand; none for `cm apply`'s. */
export function rollbackOfSyncNote(report: RunReport): string | undefined {
  if (!report.commit) return undefined;
  return `run ${report.id} applied commit ${
    report.commit.slice(0, 12)
  } from git: it is quarantined, cm sync ` +
    "applies nothing until a newer commit; revert it in the repository to go on";
}

/**
 * What to tell someone who rolled back a `cm apply` run by hand on a node
 * that syncs (see {@link Resync}): sync converges to git again, so the
 * rollback stands only while `cm disable` does. `undefined` when the synced
 * cookbooks declare nothing it restored.
 */
export function rollbackOfApplyNote(
  runId: string,
  resync: Resync,
  disabled: DisabledMark | null,
): string | undefined {
  const n = resync.ids.length;
  if (!n) return undefined;
  const ids = `${resync.ids.slice(0, 3).join(", ")}${n > 3 ? `, and ${n - 3} more` : ""}`;
  const commit = resync.commit ? ` of commit ${resync.commit.slice(0, 12)}` : "";
  const again = `the next cm sync converges ${n} of the restored resources (${ids}) to the ` +
    `cookbooks${commit} again: it follows git, not this rollback`;
  const what = `run ${runId} was a cm apply by hand on a node that syncs from git: ${again}`;
  if (disabled) {
    return `${what}; cm is disabled ${
      describeDisabled(disabled)
    }, so the rollback stands until cm enable: fix the repository first`;
  }
  return `${what}; to keep the rollback standing, cm disable REASON now (the timer runs cm sync ` +
    "every interval) and fix the repository, then cm enable";
}

/** A rollback's closing line: what came back, what did not, and how health ended. */
export function rollbackLine(r: RollbackRecord): string {
  const failed = r.restored.filter((x) => !x.ok).length;
  const counts = `${r.restored.length - failed} restored${failed ? `, ${failed} failed` : ""}`;
  const how = r.ok
    ? "healthy again"
    : r.health.ok
    ? "healthy, but not all was put back: needs a person"
    : "NOT healthy: needs a person";
  return `rolled back run ${r.runId}: ${counts} in ${(r.durationMs / 1000).toFixed(2)} s; ${how}`;
}

/** How health ended, for the closing line: "" when it was not checked or passed. */
function healthNote(report: RunReport): string {
  if (report.health?.ok !== false) return "";
  if (!report.rollback) return ": health failed";
  return report.rollback.ok
    ? ": health failed, rolled back"
    : report.rollback.health.ok
    ? ": health failed, rolled back but not all was put back"
    : ": health failed, rollback did not make it healthy";
}

/** The closing line: counts and time; a failed restart or reload counts as failed, not refreshed. */
export function summary(report: RunReport): string {
  const t = report.totals;
  const verb = report.mode === "plan" ? "to change" : "changed";
  const refreshed = report.handlers.filter((h) => h.status !== "failed").length;
  const handlers = report.handlers.length
    ? `, ${refreshed} ${report.mode === "plan" ? "to refresh" : "refreshed"}`
    : "";
  return `${report.mode}: ${t.changed} ${verb}, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped${handlers} in ${
    (report.durationMs / 1000).toFixed(2)
  } s${report.mode === "apply" ? ` (run ${report.id})` : ""}${
    report.result === "interrupted" ? ": interrupted" : ""
  }${healthNote(report)}`;
}

/** Live output of a plan or apply: results and handlers as they finish (none under --json). */
export function runEvents(p: Printer, options: { plan: boolean; json: boolean }): RunEvents {
  const { plan, json } = options;
  return {
    result: json ? undefined : (r) => printResult(p, plan, r),
    handler: json ? undefined : (h) => printHandler(p, plan, h),
    progress: (line) => p.verbosity !== "quiet" && p.err(`  ${printable(line)}`),
    warning: (message) => p.err(`warning: ${printable(message)}`, "warning"),
    health: json ? undefined : (h) => printHealth(p, h),
    rollback: json ? undefined : (r) => printRollback(p, r),
  };
}

/** The line naming what a run repaired that was changed outside cm, if anything was. */
export function printDrift(p: Printer, report: RunReport): void {
  const drifted = report.resources.filter((r) => r.drift).map((r) => r.id);
  if (!drifted.length) return;
  // Changed outside cm: a security event, so a warning in the journal.
  p.out(
    printable(
      `drift: repaired ${drifted.length} resource(s) changed outside cm: ${drifted.join(", ")}`,
    ),
    "warning",
  );
}

/**
 * The end of a plan or apply: the report as JSON, else the resources no
 * longer managed, the drift repaired and the summary (quiet: the summary only
 * when failed).
 */
export function printReport(p: Printer, report: RunReport, options: { json: boolean }): void {
  if (options.json) return p.out(JSON.stringify(report, null, 1));
  for (const id of report.unmanaged ?? []) {
    p.out(`${paint(p, "yellow", "unmanaged")} ${id}: no longer in the cookbooks; left as it is`);
  }
  printDrift(p, report);
  if (p.verbosity !== "quiet" || report.totals.failed) {
    p.out(summary(report), report.totals.failed ? "err" : undefined);
  }
}
