/**
 * The audit trail: one JSON line per change (run id, commit, resource, what
 * changed from → to, sensitive values redacted), appended to
 * `/var/log/config-manager/audit.log` and sent to the journal with structured
 * `CM_*` fields at a priority matching the event.
 *
 * The log is opened for each append with O_APPEND (through `tee --append`)
 * and never held open, so logrotate can move it at any time without
 * `copytruncate`. Formatting is pure; only {@link appendAudit} and
 * {@link journalAudit} touch the machine.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import type { ResourceResult, RunReport } from "../engine/report.ts";
import { maskSecrets } from "../text.ts";
import { errorMessage } from "../errors.ts";
import { utf8Chunks } from "../exec/json_chunks.ts";

/** Where the audit log goes unless configured otherwise. */
export const DEFAULT_AUDIT_LOG = "/var/log/config-manager/audit.log";

/**
 * What an entry records: a change cm made as the cookbooks asked; `drift`, a
 * change someone made outside cm that cm found (and repaired): a security
 * event; `failure`, a change that failed; `rollback`, a change undone.
 */
export type AuditEvent = "change" | "drift" | "failure" | "rollback";

/** syslog priorities (journald's PRIORITY field) by event. */
export const AUDIT_PRIORITY: Readonly<Record<AuditEvent, number>> = {
  change: 5, // notice
  rollback: 4, // warning
  drift: 4, // warning
  failure: 3, // err
};

/** One line of the audit log. */
export interface AuditEntry {
  /** ISO 8601 time of the run's start. */
  at: string;
  runId: string;
  commit?: string;
  event: AuditEvent;
  resource: string;
  /** One item per changed field; values are short texts, redacted where sensitive. */
  changes: { field: string; from: string; to: string }[];
  error?: string;
}

/** What to hide and how to classify while turning a report into entries. */
export interface AuditOptions {
  /** Resource ids whose values are never shown (e.g. `sensitive: true` files). */
  sensitive?: ReadonlySet<string>;
  /** Resource ids whose change repaired drift. */
  drifted?: ReadonlySet<string>;
  /** Strings (tokens, passwords) to mask wherever they appear. */
  secrets?: readonly string[];
  /** Marks every entry as a rollback (the report of a restore). */
  rollback?: boolean;
}

/** Field names whose values are hidden whatever the resource. */
const SECRET_FIELD = /pass|secret|token|key|credential/i;
const MAX_VALUE = 120;
const REDACTED = "(redacted)";

function show(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

function entryOf(r: ResourceResult, report: RunReport, options: AuditOptions): AuditEntry {
  const hidden = options.sensitive?.has(r.id) ?? false;
  const secrets = options.secrets ?? [];
  const value = (field: string, v: unknown) =>
    hidden || SECRET_FIELD.test(field) ? REDACTED : maskSecrets(show(v), secrets);
  const event: AuditEvent = r.status === "failed"
    ? "failure"
    : options.rollback
    ? "rollback"
    : options.drifted?.has(r.id)
    ? "drift"
    : "change";
  return {
    at: report.startedAt,
    runId: report.id,
    ...(report.commit ? { commit: report.commit } : {}),
    event,
    resource: r.id,
    changes: r.changes.map((c) => ({
      field: c.field,
      from: value(c.field, c.before),
      to: value(c.field, c.after),
    })),
    ...(r.error ? { error: hidden ? REDACTED : maskSecrets(r.error, secrets) } : {}),
  };
}

/** The entries of an applied run: one per changed or failed resource. Plans give none. */
export function auditEntries(report: RunReport, options: AuditOptions = {}): AuditEntry[] {
  if (report.mode !== "apply") return [];
  return report.resources
    .filter((r) => r.status === "changed" || r.status === "failed")
    .map((r) => entryOf(r, report, options));
}

/** The audit log's lines for `entries`: one JSON object each, line feed included. */
export function* auditLines(entries: AuditEntry[]): Generator<string> {
  for (const entry of entries) yield `${JSON.stringify(entry)}\n`;
}

/** A one-line human summary: `file[/etc/x] changed: mode 0644 → 0600`. */
export function auditMessage(entry: AuditEntry): string {
  const verb = {
    change: "changed",
    drift: "drift repaired (changed outside cm)",
    failure: "failed",
    rollback: "rolled back",
  }[entry.event];
  const what = entry.changes.map((c) => `${c.field} ${c.from} → ${c.to}`).join(", ");
  const text = `${entry.resource} ${verb}${what ? `: ${what}` : ""}${
    entry.error ? `: ${entry.error}` : ""
  }`;
  return text.replace(/[\r\n]+/g, " ");
}

/**
 * The journal entry for `entry` as `logger --journald` reads it: one
 * `FIELD=value` per line (values on one line).
 */
export function journalFields(entry: AuditEntry): string {
  const fields: [string, string][] = [
    ["MESSAGE", auditMessage(entry)],
    ["PRIORITY", String(AUDIT_PRIORITY[entry.event])],
    ["SYSLOG_IDENTIFIER", "config-manager"],
    ["CM_EVENT", entry.event],
    ["CM_RUN_ID", entry.runId],
    ...(entry.commit ? [["CM_COMMIT", entry.commit] as [string, string]] : []),
    ["CM_RESOURCE", entry.resource],
    ["CM_AUDIT", JSON.stringify(entry)],
  ];
  return fields.map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, " ")}\n`).join("");
}

/**
 * Appends `entries` to the audit log at `path` in one O_APPEND write,
 * creating its directory (0750) and the file (0640) when missing. Returns
 * `null`, or why it failed; throws only what the Executor throws creating
 * the directory.
 */
export function appendAudit(
  exec: Executor,
  entries: AuditEntry[],
  path = DEFAULT_AUDIT_LOG,
): string | null {
  if (!entries.length) return null;
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  if (!exec.stat(dir)) exec.mkdir(dir, { mode: 0o750 });
  try {
    // In chunks of whole lines: 10,000 changes are 3 MB of text, never held whole.
    exec.appendFile(path, utf8Chunks(auditLines(entries)), 0o640);
  } catch (error) {
    return `cannot append to audit log "${path}": ${errorMessage(error)}`;
  }
  return null;
}

/**
 * Sends each entry to the journal with `logger --journald` (structured
 * fields, priority by event). Stops at the first entry that fails (the
 * journal is down: the rest would fail too) and resolves to why; `null` when
 * all were sent. Never throws.
 */
export async function journalAudit(exec: Executor, entries: AuditEntry[]): Promise<string | null> {
  for (const entry of entries) {
    const result = await exec.run(["logger", "--journald"], { stdin: journalFields(entry) });
    if (result.code !== 0) {
      return `cannot log to the journal: ${result.stderr.trim() || `logger exited ${result.code}`}`;
    }
  }
  return null;
}
