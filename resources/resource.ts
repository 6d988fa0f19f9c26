/**
 * The contract every resource kind follows: read the current state, diff it
 * against the desired spec, apply exactly the changes found.
 *
 * @module
 */
import type { Executor, Probe } from "../src/exec/executor.ts";
import type { Before, SnapshotStore } from "./snapshot.ts";

/** One difference between the machine and the cookbook. */
export interface Change {
  /** What differs: "content", "mode", "state", "version", "run"... */
  field: string;
  /** What the machine has now (`null` when absent). */
  before: unknown;
  /** What the cookbook wants. */
  after: unknown;
  /** A note for people, e.g. "runs every time: no guard". */
  note?: string;
  /** Set when the change cannot be made (something is in the way): a plan counts it as failed. */
  blocked?: boolean;
  /**
   * Set for a change made on every run whatever the machine holds (a command
   * without guard, `state: restarted`): never a sign of drift.
   */
  everyRun?: boolean;
  /**
   * Set for a change a guard asked for (a command whose `creates`, `unless` or
   * `onlyif` says it must run): the command need not make its guard pass, so
   * running again after it ran last time is no sign of drift.
   */
  guarded?: boolean;
}

/**
 * A rule broken by one spec: the field (`"content"`) and what was expected;
 * `got`, when given, is the offending value (the loader describes it).
 */
export interface SpecProblem {
  /** The field at fault, relative to the resource (`"content"`, `"env.PATH"`). */
  field: string;
  /** What was expected, in the house style ("expected …"). */
  message: string;
  /** The offending value, when there is one to show ("got …"); never for sensitive fields. */
  got?: unknown;
}

/**
 * What a resource's apply will have made of the directory at its path
 * (`undefined`: left as it is): a plan shows later resources the directory
 * so (see src/engine/planned.ts).
 */
export interface PlannedPath {
  /** The real path (its parent resolved as apply resolves it). */
  path: string;
  /** Owner user name, as the cookbook gives it. */
  owner?: string;
  /** Group name, as the cookbook gives it. */
  group?: string;
  /** Permission bits, e.g. 0o755. */
  mode?: number;
}

/** Whether the run may change the machine ("apply") or only look ("plan"). */
export type Mode = "plan" | "apply";

/** What a resource kind gets besides its specs. */
export interface ResourceContext {
  /** Whether this run may change the machine. */
  mode: Mode;
  /** Ids of resources changed so far in this run (e.g. "file[/etc/x]"). */
  changed: ReadonlySet<string>;
  /**
   * What the run's resources claim (`path:/etc/x`, see {@link ResourceKind.claims}),
   * each with the claiming kind's name: a plan asks whether something not
   * there yet will be made by an earlier resource ("directory").
   */
  claims: ReadonlyMap<string, string>;
  /** Progress output for long work (apt). */
  progress(line: string): void;
  /** A warning printed once per run, e.g. "systemd is not running: using service(8)". */
  warnOnce(message: string): void;
  /**
   * The value `make` returns, made on the first call with `key` in this run
   * and returned again on every later one: per-run memos ("apt-get update
   * ran"). Keys are prefixed with the kind's name.
   */
  once<T>(key: string, make: () => T): T;
  /** Waits `ms` milliseconds (a test clock advances instead of waiting). */
  sleep(ms: number): Promise<void>;
  /** The time in milliseconds since the epoch. */
  now(): number;
}

/** Kinds whose changes may make anything as a side effect: a package's files and users, a script's. */
const SIDE_EFFECT_KINDS = new Set(["package", "command"]);

/**
 * Whether a resource changed so far in the run (`changed`: `kind[...]` ids)
 * may have made, as a side effect, what a later one needs (a directory, a user).
 */
export function sideEffectsSoFar(changed: ReadonlySet<string>): boolean {
  for (const id of changed) {
    if (SIDE_EFFECT_KINDS.has(id.slice(0, id.indexOf("[")))) return true;
  }
  return false;
}

/**
 * The result of applying one resource's changes. `unchanged` says why nothing
 * needed doing after all (a command whose guard an earlier resource satisfied).
 */
export type Outcome = { ok: true; unchanged?: string } | { ok: false; error: string };

/** What every desired-state spec may hold: the ids it must run after. */
export interface SpecBase {
  /** Ids (`file[/etc/x]`), bare names or paths of resources that must run first. */
  requires?: string[];
}

/**
 * A resource kind: `read` and `diff` never change the machine; `apply` makes
 * exactly the changes `diff` found. `read` and `apply` take every consecutive
 * resource of the kind at once so a kind can batch (one dpkg-query, one
 * apt-get transaction, one systemctl show).
 */
export interface ResourceKind<S extends SpecBase = SpecBase, C = unknown> {
  /** The kind's name, the prefix of its ids: "file", "package", ... */
  name: string;
  /** `file[/etc/nginx/nginx.conf]`: used in every message and in `requires`. */
  id(spec: S): string;
  /**
   * Rules the schema cannot express, on a spec the schema accepted: pure, no
   * look at the machine. Each problem names the field it is about.
   */
  check?(spec: S): SpecProblem[];
  /**
   * What the resource manages that no other resource may, as `namespace:value`:
   * `path:/etc/x` (also lets a bare path in `requires`/`restart_on` find it),
   * `unit:nginx.service`. Two resources claiming one thing is a cookbook error.
   */
  claims?(spec: S): string[];
  /**
   * Derives, once when cookbooks load, what every run would otherwise compute
   * again from the spec alone (a file's content sha256), and stores it in the
   * spec: the catalog keeps it, so a run from the catalog skips the work. Pure,
   * no look at the machine; given every spec of the kind at once.
   */
  prepare?(specs: S[]): Promise<void>;
  /**
   * What the path will be once the spec is applied, for the resources a plan
   * reads after it (a directory narrowed to 0755 makes a file under it safe
   * to write); `undefined` when it makes nothing a later resource could stand
   * on. Called only for a spec whose changes the plan accepted.
   */
  planned?(spec: S, probe: Probe): PlannedPath | undefined;
  /** The current state of each spec, in order (batched: one dpkg-query for all packages). */
  read(specs: S[], probe: Probe, ctx: ResourceContext): Promise<C[]>;
  /** `apply` wants every consecutive item at once (one apt-get transaction); else one at a time. */
  batches?: boolean;
  /** What differs between `current` and `spec`: pure, no I/O. */
  diff(spec: S, current: C): Change[];
  /** Makes exactly the given changes; one outcome per item, never throws for a failed change. */
  apply(
    items: { spec: S; changes: Change[] }[],
    exec: Executor,
    ctx: ResourceContext,
  ): Promise<Outcome[]>;
  /**
   * The content hash to record in the state (files: sha256): of what is there
   * now, or, once `applied`, of what apply put there.
   */
  fingerprint?(spec: S, current: C, applied?: boolean): string | undefined;
  /**
   * A unified diff of what would change (never of sensitive content); of a
   * path that does not exist yet only when `created` (`--diff` asked: an
   * apply's record leaves new content to the cookbook that holds it).
   */
  diffText?(spec: S, current: C, created: boolean): string | null;
  /**
   * Rollback, first half: what the resource is now, recorded before `apply`
   * changes it (a path's content goes into `store`). Called only for
   * resources with changes, in apply mode.
   */
  snapshot?(spec: S, current: C, store: SnapshotStore): Promise<Before>;
  /**
   * Rollback, second half: puts back what `snapshot` recorded (needs no
   * spec: `cm rollback` has only the record). Never throws for the machine's
   * refusal: that is a failed Outcome naming what could not be put back.
   */
  restore?(
    before: Before,
    exec: Executor,
    store: SnapshotStore,
    ctx: ResourceContext,
  ): Promise<Outcome>;
  /**
   * Restored before every other kind, whatever the run's order: what others
   * are installed from (an apt repository a removed package must come back from).
   */
  restoreFirst?: boolean;
  /**
   * Handlers: restart or reload (services), run (commands with `run_on`)
   * after something it depends on changed.
   */
  refresh?(
    spec: S,
    action: "restart" | "reload" | "run",
    exec: Executor,
    ctx: ResourceContext,
  ): Promise<Outcome>;
}

/**
 * Applies items one at a time, in order; an error thrown for one item (a
 * refused chown, a full disk) becomes that item's failure, not the batch's.
 */
export async function applyEach<S>(
  items: { spec: S; changes: Change[] }[],
  applyOne: (spec: S, changes: Change[]) => Outcome | Promise<Outcome>,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const { spec, changes } of items) {
    try {
      outcomes.push(await applyOne(spec, changes));
    } catch (error) {
      outcomes.push({ ok: false, error: errorMessage(error) });
    }
  }
  return outcomes;
}

/** An error's message, for an Outcome. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
