/**
 * `cm history`: the recorded runs under the state directory, oldest first.
 *
 * @module
 */
import type { ResourceResult, RunReport } from "../../engine/report.ts";
import type { Probe } from "../../exec/executor.ts";
import { StateError, UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { listRuns, readRun } from "../../state/store.ts";
import { blockLines, formatChange, type Printer, terminalPrinter } from "../output.ts";
import { didYouMean, humanTime } from "../../text.ts";
import { printable } from "../../exec/output.ts";
import { type Command, count, examples, jsonOption, stateDirOption } from "../_common.ts";
import { EXIT } from "../exit.ts";

/** `cm history`. */
export const command: Command<HistoryOptions> = {
  name: "history",
  summary: "list recorded runs, oldest first",
  options: [
    {
      flag: "--limit",
      short: "-n",
      value: "count",
      help: "how many recent runs",
      parse: count,
      default: 20,
    },
    { flag: "--since", value: "time", help: "runs started at or after this time", parse: moment },
    {
      flag: "--until",
      value: "time",
      help: "runs started at or before this time (to the second)",
      parse: moment,
    },
    { flag: "--changed", help: "only runs that changed or failed something" },
    {
      flag: "--resource",
      value: "id",
      help:
        "only runs that changed (or failed to change, or refreshed) this resource, with what changed: file:/etc/x or file[/etc/x]",
      parse: resourceId,
    },
    jsonOption("the runs"),
    stateDirOption("state, runs and lock directory"),
  ],
  epilog: examples([
    "cm history",
    "cm history -n 5 --json",
    "cm history --since 2026-11-24 --until 2026-11-25 --changed   # what changed that day",
    "cm history --resource file:/etc/nginx/nginx.conf   # when it changed; cm show-run ID for the diff",
  ]),
  run(_, opts, { exec }) {
    history(exec, terminalPrinter("normal", false), opts);
    return EXIT.ok;
  },
};

/** What `cm history` lists. */
export type HistoryOptions = {
  stateDir?: string;
  /** The newest this many (of those the other options leave). */
  limit: number;
  /** Runs started at or after this time. */
  since?: Date;
  /** Runs started at or before this time, to the second (as run ids and `cm history` show them). */
  until?: Date;
  /** Only runs that changed, failed or refreshed something. */
  changed?: boolean;
  /** Only runs that changed, failed or refreshed this resource (`file[/etc/x]`). */
  resource?: string;
  json?: boolean;
};

/**
 * A time for `--since` / `--until`: a day (`2026-11-24`, local midnight) or a
 * date and time (`2026-11-24 14:30`, local; `2026-11-24T14:30Z`, UTC; with an
 * offset as cm prints times, `2026-11-24 14:30:00 +0100`).
 *
 * @throws {UsageError} for anything else
 */
export function moment(value: string): Date {
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) ?(Z|[+-]\d{2}:?\d{2})?)?$/
      .exec(value);
  const zone = m?.[3]?.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2") ?? "";
  const date = m && new Date(`${m[1]}T${m[2] ?? "00:00"}${zone}`);
  if (!date || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `expected a date like 2026-11-24 or 2026-11-24 14:30 (local time), got "${value}"`,
    );
  }
  return date;
}

/**
 * A resource id for `--resource`: `file[/etc/x]` as cm prints ids, or
 * `file:/etc/x`.
 *
 * @throws {UsageError} for anything else
 */
export function resourceId(value: string): string {
  if (/^[a-z_]+\[.+\]$/.test(value)) return value;
  const m = /^([a-z_]+):(.+)$/.exec(value);
  if (m) return `${m[1]}[${m[2]}]`;
  throw new UsageError(
    `expected a resource id like file:/etc/nginx/nginx.conf or file[/etc/nginx/nginx.conf], got "${value}"`,
  );
}

/** When run `id` started, from the id itself (`20261124T090000Z-2`): no report is read. */
function startOf(id: string): number {
  const t = id.slice(0, 16);
  return Date.parse(
    `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${
      t.slice(13, 15)
    }Z`,
  );
}

/** Whether a run changed the machine or failed: what "what changed that day" asks for. */
function didSomething(r: RunReport): boolean {
  return r.totals.changed + r.totals.failed + r.handlers.length > 0 || !!r.rollback;
}

/**
 * Lists the last `limit` runs (of those started in `since`..`until`, with
 * `changed` of those that changed or failed something, with `resource` of
 * those that changed, failed on or refreshed it, what they did indented
 * under each) under a header:
 * id, start ({@link humanTime}), result, counts, duration, commit, cookbooks.
 */
export function history(probe: Probe, printer: Printer, options: HistoryOptions): void {
  const paths = statePaths(options.stateDir);
  const inWindow = listRuns(paths).filter((id) =>
    (!options.since || startOf(id) >= options.since.getTime()) &&
    (!options.until || startOf(id) <= options.until.getTime())
  );
  let reports: RunReport[] = [];
  // Without --changed the newest ids are all that need reading.
  const everyRun = options.changed || options.resource;
  for (const id of everyRun ? inWindow : inWindow.slice(-options.limit)) {
    try {
      const report = readRun(probe, paths, id);
      if (report) reports.push(report);
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      printer.err(`warning: skipping ${printable(error.message)}`);
    }
  }
  const all = reports;
  if (options.changed) reports = reports.filter(didSomething);
  const resource = options.resource;
  if (resource) reports = reports.filter((r) => touched(r, resource));
  if (everyRun) reports = reports.slice(-options.limit);
  if (options.json) {
    return printer.out(JSON.stringify(
      reports.map(({ resources, ...rest }) =>
        resource ? { ...rest, resource: resources.find((x) => x.id === resource) ?? null } : rest
      ),
      null,
      1,
    ));
  }
  if (!reports.length) return printer.out(nothingFound(options, paths.runs, all));
  const rows = reports.map((r) => [
    r.id,
    humanTime(r.startedAt),
    r.rollback ? `${r.result}, rolled back` : r.result,
    `${r.totals.changed} changed, ${r.totals.failed} failed, ${r.totals.unchanged} unchanged`,
    `${(r.durationMs / 1000).toFixed(2)} s`,
    r.commit?.slice(0, 12) ?? "-",
    printable(r.cookbooks.join(" ")),
  ]);
  const header = ["ID", "STARTED", "RESULT", "RESOURCES", "DURATION", "COMMIT", "COOKBOOKS"];
  const [head, ...lines] = table([header, ...rows]);
  printer.out(head);
  lines.forEach((line, i) => {
    printer.out(line);
    if (resource) { for (const what of whatHappened(reports[i], resource)) printer.out(what); }
  });
}

/** Whether run `r` changed, failed on or refreshed resource `id`. */
function touched(r: RunReport, id: string): boolean {
  const acted = (x: ResourceResult) => x.status === "changed" || x.status === "failed";
  return r.resources.some((x) => x.id === id && acted(x)) || r.handlers.some((h) => h.id === id);
}

/** What run `r` did to resource `id`, as lines indented under the run's row. */
function whatHappened(r: RunReport, id: string): string[] {
  // A tool's further lines go under the first, one step deeper.
  const under = (head: string, text: string) =>
    blockLines(`    ${head}`, text).map((line, i) => i ? `    ${line}` : line);
  const x = r.resources.find((x) => x.id === id);
  const lines = x?.status === "changed"
    ? under("changed: ", x.changes.map(formatChange).join(", "))
    : x?.status === "failed"
    ? under("failed: ", x.error ?? "")
    : [];
  for (const h of r.handlers.filter((h) => h.id === id)) {
    const what = `${h.action} after ${printable(h.triggeredBy.join(", "))} changed`;
    lines.push(
      ...(h.status === "failed"
        ? under(`failed: ${what}: `, h.error ?? "")
        : under("refreshed: ", what)),
    );
  }
  return lines;
}

/** Why the list is empty; for `--resource`, a near id that runs did record. */
function nothingFound(options: HistoryOptions, dir: string, read: RunReport[]): string {
  if (options.resource) {
    const ids = new Set(read.flatMap((r) => r.resources.map((x) => x.id)));
    const near = ids.has(options.resource) ? undefined : didYouMean(options.resource, ids);
    return `no run in ${dir} changed ${printable(options.resource)}${
      near ? `: did you mean ${printable(near)}?` : ""
    }`;
  }
  const filtered = options.since || options.until || options.changed;
  return `no runs ${filtered ? "match" : "recorded"} in ${dir}`;
}

/** Rows as lines of left-aligned columns, two spaces apart, the last column unpadded. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => c < r.length - 1 ? cell.padEnd(widths[c]) : cell).join("  ")
  );
}
