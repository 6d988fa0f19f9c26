/**
 * Shape checks for cm's own JSON files read back from the state directory.
 * Valid JSON of the wrong shape (`null`, `[]`, a field of the wrong type,
 * left by a disk error, a hand edit or another version) must be reported
 * like invalid JSON, not crash a later step that trusts the type.
 *
 * @module
 */

type Json = Record<string, unknown>;

/** A field of the wrong type, named by its path: `resources`, `totals.changed`. */
class Mismatch extends Error {}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const is = {
  object: isObject,
  array: Array.isArray,
  string: (v: unknown) => typeof v === "string",
  number: (v: unknown) => typeof v === "number",
  boolean: (v: unknown) => typeof v === "boolean",
  "string list": (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string"),
};

type Kind = keyof typeof is;

/** Checks `fields` of `value` (`"?"` after a name: may be absent); returns `value` as an object. */
function fields(value: unknown, where: string, want: Record<string, Kind>): Json {
  if (!isObject(value)) throw new Mismatch(`${where ? `${where}: ` : ""}expected an object`);
  for (const [key, kind] of Object.entries(want)) {
    const name = key.replace(/\?$/, "");
    const field = value[name];
    if (field === undefined && key.endsWith("?")) continue;
    if (!is[kind](field)) {
      throw new Mismatch(
        `${where ? `${where}.` : ""}${name}: expected ${/^[ao]/.test(kind) ? "an" : "a"} ${kind}`,
      );
    }
  }
  return value;
}

function each(values: unknown, where: string, want: Record<string, Kind>): void {
  (values as unknown[]).forEach((v, i) => fields(v, `${where}[${i}]`, want));
}

function eachValue(values: Json, where: string, want: Record<string, Kind>): void {
  for (const [key, v] of Object.entries(values)) fields(v, `${where}["${key}"]`, want);
}

const TOTALS: Record<string, Kind> = {
  changed: "number",
  unchanged: "number",
  failed: "number",
  skipped: "number",
};

/** The state's optional sections and the fields each must have (`?`: may be absent). */
const STATE_SECTIONS: Record<string, Record<string, Kind>> = {
  lastRun: {
    id: "string",
    at: "string",
    result: "string",
    mode: "string",
    "durationMs?": "number",
    "totals?": "object",
    "cookbooks?": "string list",
    "varsFile?": "string",
    "drift?": "array",
    "health?": "object",
  },
  lastRollback: { runId: "string", at: "string", ok: "boolean", byHand: "boolean" },
  sync: {
    repo: "string",
    branch: "string",
    lastSyncAt: "string",
    result: "string",
    "discarded?": "array",
    "cookbooks?": "string list",
    "quarantined?": "object",
  },
  rollbacks: { attempted: "number", succeeded: "number" },
};

function stateShape(value: unknown): void {
  const state = fields(value, "", {
    resources: "object",
    ...Object.fromEntries(Object.keys(STATE_SECTIONS).map((name) => [`${name}?`, "object"])),
    "pending?": "object",
  });
  eachValue(state.resources as Json, "resources", { status: "string" });
  for (const [name, want] of Object.entries(STATE_SECTIONS)) {
    if (state[name]) fields(state[name], name, want);
  }
  if (state.pending) {
    eachValue(state.pending as Json, "pending", { action: "string", since: "string" });
  }
}

function runShape(value: unknown): void {
  const run = fields(value, "", {
    id: "string",
    mode: "string",
    startedAt: "string",
    durationMs: "number",
    cookbooks: "array",
    resources: "array",
    handlers: "array",
    totals: "object",
    result: "string",
    "unmanaged?": "array",
    "health?": "object",
    "rollback?": "object",
    "compacted?": "object",
  });
  fields(run.totals, "totals", TOTALS);
  each(run.resources, "resources", {
    id: "string",
    kind: "string",
    status: "string",
    changes: "array",
  });
  each(run.handlers, "handlers", { id: "string", status: "string", action: "string" });
}

function driftShape(value: unknown): void {
  fields(value, "", { at: "string", by: "string", resources: "array" });
}

function beforeShape(value: unknown, where: string): void {
  const before = fields(value, where, { type: "string", "paths?": "array" });
  if (before.type === "paths") {
    fields(before, where, { paths: "array" });
    (before.paths as unknown[]).forEach((p, i) => beforeShape(p, `${where}.paths[${i}]`));
  }
}

function manifestShape(value: unknown): void {
  const manifest = fields(value, "", {
    runId: "string",
    createdAt: "string",
    "commit?": "string",
    "cookbooks?": "string list",
    resources: "array",
    "refreshes?": "array",
  });
  each(manifest.resources, "resources", { id: "string", kind: "string", before: "object" });
  (manifest.resources as Json[]).forEach((r, i) => beforeShape(r.before, `resources[${i}].before`));
  if (manifest.refreshes) {
    each(manifest.refreshes, "refreshes", {
      id: "string",
      kind: "string",
      spec: "object",
      action: "string",
      triggeredBy: "array",
    });
  }
}

/** What is wrong with `value` as a parsed snapshot manifest, else null. */
export function manifestProblem(value: unknown): string | null {
  return problem(value, manifestShape);
}

function alertStateShape(value: unknown): void {
  const state = fields(value, "", { open: "object", outbox: "array" });
  eachValue(state.open as Json, "open", { severity: "string", summary: "string", since: "string" });
  each(state.outbox, "outbox", { event: "object", targets: "array" });
  (state.outbox as Json[]).forEach((o, i) =>
    fields(o.event, `outbox[${i}].event`, {
      kind: "string",
      key: "string",
      severity: "string",
      summary: "string",
      host: "string",
      at: "string",
      since: "string",
    })
  );
}

/** What is wrong with `value` as a parsed alert state (alerts.json), else null. */
export function alertStateProblem(value: unknown): string | null {
  return problem(value, alertStateShape);
}

/** What is wrong with `value` as a parsed state file (`resources: expected an object`), else null. */
export function stateProblem(value: unknown): string | null {
  return problem(value, stateShape);
}

/** What is wrong with `value` as a parsed run report, else null. */
export function runProblem(value: unknown): string | null {
  return problem(value, runShape);
}

/** What is wrong with `value` as a parsed drift record (drift.json), else null. */
export function driftProblem(value: unknown): string | null {
  return problem(value, driftShape);
}

function problem(value: unknown, shape: (value: unknown) => void): string | null {
  try {
    shape(value);
    return null;
  } catch (error) {
    if (error instanceof Mismatch) return error.message;
    throw error;
  }
}
