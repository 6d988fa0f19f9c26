/**
 * What a person sees: one line per changed resource, a summary line, colour
 * only on a terminal and never with NO_COLOR.
 *
 * @module
 */
import type { Change } from "../../resources/resource.ts";
import type { HandlerResult, ResourceResult, RunReport } from "../engine/report.ts";
import type { RunEvents } from "../engine/run.ts";

/** How much to print. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** Where and how to print. */
export interface Printer {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
  verbosity: Verbosity;
  /** Show unified diffs of file content. */
  diff: boolean;
}

const encoder = new TextEncoder();

/** A printer for the real terminal. */
export function terminalPrinter(verbosity: Verbosity, diff: boolean): Printer {
  const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
  return {
    out: (line) => Deno.stdout.writeSync(encoder.encode(line + "\n")),
    err: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
    color,
    verbosity,
    diff,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;

function paint(p: Printer, colour: keyof typeof CODES, text: string): string {
  return p.color ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return /^[0-9a-f]{64}$/.test(value) ? value.slice(0, 12) : value;
  return JSON.stringify(value);
}

/** `mode: 0600 → 0644 (note)` */
export function formatChange(change: Change): string {
  const arrow = change.before === change.after
    ? show(change.after)
    : `${show(change.before)} → ${show(change.after)}`;
  return `${change.field}: ${arrow}${change.note ? ` (${change.note})` : ""}`;
}

/** Prints one resource's result as it finishes. */
export function printResult(p: Printer, plan: boolean, r: ResourceResult): void {
  if (r.status === "unchanged") {
    if (p.verbosity === "verbose") p.out(paint(p, "dim", `unchanged ${r.id}`));
    return;
  }
  if (r.status === "failed") {
    p.err(`${paint(p, "red", "failed   ")} ${r.id}: ${r.error}`);
    return;
  }
  if (r.status === "skipped") {
    p.err(`${paint(p, "yellow", "skipped  ")} ${r.id}: ${r.error}`);
    return;
  }
  if (p.verbosity === "quiet") return;
  const label = plan ? paint(p, "yellow", "would    ") : paint(p, "green", "changed  ");
  p.out(`${label} ${r.id}: ${r.changes.map(formatChange).join(", ")}`);
  if (p.diff && r.diff) {
    for (const line of r.diff.trimEnd().split("\n")) p.out(`    ${diffColour(p, line)}`);
  }
}

function diffColour(p: Printer, line: string): string {
  if (line.startsWith("+") && !line.startsWith("+++")) return paint(p, "green", line);
  if (line.startsWith("-") && !line.startsWith("---")) return paint(p, "red", line);
  if (line.startsWith("@@")) return paint(p, "cyan", line);
  return line;
}

/** Prints a handler (restart/reload) as it finishes. */
export function printHandler(p: Printer, plan: boolean, h: HandlerResult): void {
  const because = `after ${h.triggeredBy.join(", ")} changed`;
  if (h.status === "failed") {
    p.err(`${paint(p, "red", "failed   ")} ${h.id}: ${h.action} ${because}: ${h.error}`);
  } else if (p.verbosity !== "quiet") {
    p.out(
      `${
        paint(p, plan ? "yellow" : "green", plan ? "would    " : "refreshed")
      } ${h.id}: ${h.action} ${because}`,
    );
  }
}

/** The closing line: counts and time. */
export function summary(report: RunReport): string {
  const t = report.totals;
  const verb = report.mode === "plan" ? "to change" : "changed";
  const handlers = report.handlers.length
    ? `, ${report.handlers.length} ${report.mode === "plan" ? "to refresh" : "refreshed"}`
    : "";
  return `${report.mode}: ${t.changed} ${verb}, ${t.unchanged} unchanged, ${t.failed} failed, ${t.skipped} skipped${handlers} in ${
    (report.durationMs / 1000).toFixed(2)
  } s${report.mode === "apply" ? ` (run ${report.id})` : ""}${
    report.result === "interrupted" ? ": interrupted" : ""
  }`;
}

/** Live output of a plan or apply: results and handlers as they finish (none under --json). */
export function runEvents(p: Printer, options: { plan: boolean; json: boolean }): RunEvents {
  const { plan, json } = options;
  return {
    result: json ? undefined : (r) => printResult(p, plan, r),
    handler: json ? undefined : (h) => printHandler(p, plan, h),
    progress: (line) => p.verbosity !== "quiet" && p.err(`  ${line}`),
    warning: (message) => p.err(`warning: ${message}`),
  };
}

/** The end of a plan or apply: the report as JSON, else the summary (quiet: only when failed). */
export function printReport(p: Printer, report: RunReport, options: { json: boolean }): void {
  if (options.json) p.out(JSON.stringify(report, null, 1));
  else if (p.verbosity !== "quiet" || report.totals.failed) p.err(summary(report));
}
