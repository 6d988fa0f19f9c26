/**
 * `package`: Debian packages through dpkg's status file and apt-get, batched.
 *
 * One batch of consecutive package resources costs one read of dpkg's status
 * file (one `dpkg-query` when it cannot be read, see ../src/facts/dpkg.ts) (and,
 * only when a spec needs candidates, one `apt-cache policy`; only for names
 * without a candidate, which may be virtual packages like awk, one
 * `apt-cache showpkg` and one `dpkg-query` of their providers) to read, and one
 * `apt-get install` transaction plus one `apt-get remove` / `apt-get purge` to
 * apply. `apt-get update` runs at most once per run, and only before an
 * install when the package lists are older than a day or a package (or pinned
 * version) was not in them. A dpkg that was killed (a run stopped in the
 * middle of an install) left its journal, and apt-get refuses to work until
 * `dpkg --configure -a` ran: apply runs it first.
 *
 * @module
 */
import type { PackageSpec } from "./apt_package_schema.ts";
export type { PackageSpec };
import type { Executor, Probe, ProcessOptions } from "../src/exec/executor.ts";
import type { Change, Outcome, ResourceContext, ResourceKind } from "./resource.ts";
import type { Before } from "./snapshot.ts";
import {
  compareVersions,
  DPKG_JOURNAL,
  findEntry,
  type PackageStatus,
  queryDpkg,
  statusOf,
} from "../src/facts/dpkg.ts";
import {
  findPolicy,
  hasPackageLists,
  parsePolicy,
  policyArgv,
  type Provider,
  queryPackageNames,
  queryPolicy,
  queryProviders,
} from "../src/facts/apt_cache.ts";
import { noMatchingVersion, pinMatches, resolvePin } from "../src/facts/apt_pin.ts";
import { didYouMean } from "../src/text.ts";
import { exitedWith } from "../src/exec/output.ts";
import { APT_ENV, APT_GET, updateLists } from "./_apt.ts";

/** What cm reads of one package. */
export interface PackageState {
  status: PackageStatus;
  /** The installed (or half-installed) version, `null` when not installed or virtual. */
  version: string | null;
  /** The candidate version; `undefined` when apt-cache was not asked, `null` for none. */
  candidate?: string | null;
  /** Versions in the package lists (when apt-cache was asked). */
  available?: string[];
  /** For a virtual package (no candidate, provided by others): the providing packages. */
  providers?: string[];
  /** The installed package that provides this virtual one (then status is "installed"). */
  providedBy?: string;
  /** Put on hold (`apt-mark hold`): apt-get refuses to install, upgrade or remove it. */
  held?: boolean;
  /**
   * Why a name unknown to fresh package lists cannot be installed ("did you
   * mean …?"); with stale lists apt-get update may still bring it.
   */
  unknown?: string;
}

/** Notes on changes that need fresh package lists before they can be applied. */
export const NOTE_UNKNOWN = "not known to apt yet: apt-get update runs before installing";
export const NOTE_NO_CANDIDATE =
  "no installation candidate yet: apt-get update runs before installing";
const NEEDS_UPDATE = new Set([NOTE_UNKNOWN, NOTE_NO_CANDIDATE]);

/** Why apt-get cannot install a virtual package by its name (also the change's note). */
export function virtualProblem(name: string, providers: string[]): string {
  const which = providers.length === 1 ? providers[0] : `one of ${providers.join(", ")}`;
  return `"${name}" is a virtual package: name ${which}`;
}
const VIRTUAL_PROBLEM = /^".+" is a virtual package: name /;

/** Why a package on hold cannot change (also the change's note). */
export function heldProblem(name: string): string {
  return `package "${name}" is on hold: run apt-mark unhold ${name} to let cm change it`;
}
const HELD_PROBLEM = /^package ".+" is on hold: /;

/** Why a name that fresh package lists do not have cannot be installed. */
export function unknownProblem(name: string, names: string[]): string {
  const near = didYouMean(name, names);
  return `package "${name}" is not known to apt${near ? `: did you mean "${near}"?` : ""}`;
}

/** Files whose mtime tells when the package lists were last refreshed. */
const LISTS_STAMPS = ["/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"];

/** Package lists older than this are refreshed before installing. */
const LISTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const INSTALL_TIMEOUT_MS = 30 * 60 * 1000;

function pinned(spec: PackageSpec): string | undefined {
  return spec.version && spec.version !== "latest" ? spec.version : undefined;
}

/** Whether the package lists are missing or older than {@link LISTS_MAX_AGE_MS}. */
export function listsStale(probe: Probe, now: number): boolean {
  const newest = Math.max(0, ...LISTS_STAMPS.map((p) => probe.stat(p)?.mtimeMs ?? 0));
  return now - newest > LISTS_MAX_AGE_MS;
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

function failure(error: string): Outcome {
  return { ok: false, error };
}

/** Configures what a killed dpkg left unpacked, keeping changed config files (as APT_GET does). */
const DPKG_CONFIGURE = ["dpkg", "--force-confdef", "--force-confold", "--configure", "-a"];

/**
 * After a dpkg that was killed (its journal is there) apt-get refuses every
 * install and removal ("dpkg was interrupted, you must manually run 'dpkg
 * --configure -a'"): finishes that first. Returns why it failed, if it did.
 */
async function finishInterruptedDpkg(
  exec: Executor,
  options: ProcessOptions,
): Promise<string | undefined> {
  if (!exec.stat(DPKG_JOURNAL)) return undefined;
  const result = await exec.run(DPKG_CONFIGURE, { ...options, timeoutMs: INSTALL_TIMEOUT_MS });
  if (result.code === 0) return undefined;
  return `dpkg was interrupted, and dpkg --configure -a failed: ${exitedWith("dpkg", result)}`;
}

/** A name in a map keyed by package name (`nginx:amd64` may print as `nginx`). */
function lookup<T>(map: Map<string, T>, spec: string): T | undefined {
  return map.get(spec) ?? map.get(spec.split(":")[0]);
}

/** The distinct names of providers, sorted. */
function providerNames(providers: Provider[]): string[] {
  return unique(providers.map((p) => p.name)).sort();
}

/** Asks `apt-cache showpkg` what provides each name (names without providers are left out). */
async function whatProvides(names: string[], probe: Probe): Promise<Map<string, Provider[]>> {
  if (names.length === 0) return new Map();
  const printed = await queryProviders(probe, names);
  const provides = new Map<string, Provider[]>();
  for (const name of names) {
    const providers = lookup(printed, name);
    if (providers?.length) provides.set(name, providers);
  }
  return provides;
}

async function read(
  specs: PackageSpec[],
  probe: Probe,
  ctx: ResourceContext,
): Promise<PackageState[]> {
  if (specs.length === 0) return [];
  const entries = await queryDpkg(probe, unique(specs.map((s) => s.package)));
  const found = specs.map((s) => findEntry(entries, s.package));

  const ask = unique(
    specs.filter((s, i) =>
      s.state === "present" &&
      (s.version !== undefined || statusOf(found[i]?.abbrev ?? "un ") !== "installed")
    ).map((s) => s.package),
  );
  const policies = ask.length > 0 ? await queryPolicy(probe, ask) : new Map();

  // A name apt knows without a candidate may be virtual (awk, mail-transport-agent):
  // one showpkg tells what provides each, dpkg's status which of those is installed.
  const provides = await whatProvides(
    unique(
      specs.filter((s, i) =>
        ask.includes(s.package) && statusOf(found[i]?.abbrev ?? "un ") !== "installed" &&
        findPolicy(policies, s.package)?.candidate === null
      ).map((s) => s.package),
    ),
    probe,
  );
  const allProviders = unique([...provides.values()].flatMap(providerNames)).sort();
  const providerEntries = allProviders.length > 0 ? await queryDpkg(probe, allProviders) : [];
  /** An installed package whose installed version provides `spec`. */
  const installedProvider = (providers: Provider[]) =>
    providers.find((p) => {
      const entry = findEntry(providerEntries, p.name);
      return entry && statusOf(entry.abbrev) === "installed" && entry.version === p.version;
    })?.name;

  const states = specs.map((spec, i) => {
    const entry = found[i];
    let status: PackageStatus = entry ? statusOf(entry.abbrev) : "absent";
    const asked = ask.includes(spec.package);
    const policy = asked ? findPolicy(policies, spec.package) : undefined;
    if (asked && !policy && status === "absent") status = "unknown";
    const state: PackageState = {
      status,
      version: entry && status !== "absent" && status !== "config-files" ? entry.version : null,
    };
    if (asked) {
      state.candidate = policy?.candidate ?? null;
      state.available = policy?.versions ?? [];
    }
    const providers = lookup(provides, spec.package);
    if (providers && status !== "installed") {
      state.providers = providerNames(providers);
      const by = installedProvider(providers);
      if (by) {
        state.status = "installed";
        state.providedBy = by;
      }
    }
    if (entry?.abbrev[0] === "h") state.held = true;
    return state;
  });
  return await withUnknownNames(specs, states, probe, ctx);
}

/**
 * Names unknown to package lists that are fresh will not come with an
 * `apt-get update`: they get their reason, with the nearest known name
 * (one `apt-cache pkgnames` for the batch); not when an apt repository
 * changed earlier in the run, as it may bring them.
 */
async function withUnknownNames(
  specs: PackageSpec[],
  states: PackageState[],
  probe: Probe,
  ctx: ResourceContext,
): Promise<PackageState[]> {
  if (!states.some((s) => s.status === "unknown") || listsStale(probe, ctx.now())) return states;
  // A repository this run adds or changes may bring the name (the update follows it).
  if ([...ctx.changed].some((id) => id.startsWith("apt_repository["))) return states;
  // Lists missing (cloud images ship none), however new their directory: apt-get update may bring it.
  if (!(await hasPackageLists(probe))) return states;
  const names = await queryPackageNames(probe);
  return states.map((state, i) =>
    state.status === "unknown"
      ? { ...state, unknown: unknownProblem(specs[i].package, names) }
      : state
  );
}

/** How a package's state reads in a change: "present" like the cookbook says, else dpkg's word. */
function stateWord(status: PackageState["status"]): string {
  return status === "installed" ? "present" : status;
}

function diff(spec: PackageSpec, current: PackageState): Change[] {
  const changes = wanted(spec, current);
  // apt-get -y refuses to change a held package: say so already in the plan.
  if (!current.held) return changes;
  const note = heldProblem(spec.package);
  return changes.map((c) => ({ ...c, note, blocked: true }));
}

function wanted(spec: PackageSpec, current: PackageState): Change[] {
  const { status } = current;
  if (spec.state === "absent") {
    return status === "installed" || status === "half-installed"
      ? [{ field: "state", before: stateWord(status), after: "absent" }]
      : [];
  }
  if (spec.state === "purged") {
    return status === "installed" || status === "half-installed" || status === "config-files"
      ? [{ field: "state", before: stateWord(status), after: "purged" }]
      : [];
  }
  const pin = pinned(spec);
  if (current.providers) {
    // Virtual: satisfied by any installed provider; apt-get picks a sole provider itself.
    const problem = virtualProblem(spec.package, current.providers);
    if (pin) return [{ field: "version", before: null, after: pin, note: problem, blocked: true }];
    if (current.providedBy) return [];
    const change: Change = { field: "state", before: status, after: "present", note: problem };
    if (current.providers.length > 1) return [{ ...change, blocked: true }];
    return [{ ...change, note: `virtual package: apt-get installs ${current.providers[0]}` }];
  }
  const changes: Change[] = [];
  if (status !== "installed") {
    const change: Change = { field: "state", before: status, after: "present" };
    if (current.unknown) Object.assign(change, { note: current.unknown, blocked: true });
    else if (status === "unknown") change.note = NOTE_UNKNOWN;
    else if (!pin && current.candidate === null) change.note = NOTE_NO_CANDIDATE;
    changes.push(change);
  }
  if (pin !== undefined && (current.version === null || !pinMatches(pin, current.version))) {
    changes.push(pinChange(spec.package, pin, current));
  } else if (
    // Only an upgrade: apt-get install leaves a newer installed version (a local build) alone.
    spec.version === "latest" && status === "installed" && current.candidate &&
    current.version !== null && compareVersions(current.candidate, current.version) > 0
  ) {
    changes.push({ field: "version", before: current.version, after: current.candidate });
  }
  return changes;
}

/**
 * The change to a pinned version: to the full version the pin resolves to;
 * none matching is a failure the plan already shows (apply still refreshes
 * the lists and looks again before it fails).
 */
function pinChange(name: string, pin: string, current: PackageState): Change {
  const change: Change = { field: "version", before: current.version, after: pin };
  if (current.available === undefined || current.status === "unknown") return change;
  const resolved = resolvePin(pin, current.available, current.candidate);
  if (resolved) return { ...change, after: resolved };
  return { ...change, note: noMatchingVersion(name, pin, current.available), blocked: true };
}

async function apply(
  items: { spec: PackageSpec; changes: Change[] }[],
  exec: Executor,
  ctx: ResourceContext,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = items.map(() => ({ ok: true }));
  const todo = (state: PackageSpec["state"]) =>
    items.flatMap((item, i) => item.spec.state === state && item.changes.length > 0 ? [i] : []);
  const options = { env: APT_ENV, onLine: (line: string) => ctx.progress(line) };

  let install = todo("present");
  failFirm(items, outcomes);
  if (items.some((item, i) => item.changes.length > 0 && outcomes[i].ok)) {
    const interrupted = await finishInterruptedDpkg(exec, options);
    if (interrupted) {
      return outcomes.map((o, i) => items[i].changes.length > 0 && o.ok ? failure(interrupted) : o);
    }
  }
  install = install.filter((i) => outcomes[i].ok);
  if (install.length > 0) {
    const doubtful = install.filter((i) =>
      items[i].changes.some((c) => c.blocked || (c.note !== undefined && NEEDS_UPDATE.has(c.note)))
    );
    const versions = new Map(install.map((i) => [i, versionOf(items[i])]));
    let updateError: string | undefined;
    if (doubtful.length > 0 || listsStale(exec, ctx.now())) {
      updateError = await updateLists(exec, ctx);
    }
    if (doubtful.length > 0) {
      // Ask again after the update: one unknown name must not sink the whole transaction.
      const names = unique(doubtful.map((i) => items[i].spec.package));
      const policies = parsePolicy((await exec.run(policyArgv(names))).stdout);
      const provides = await whatProvides(
        names.filter((name) => findPolicy(policies, name)?.candidate === null),
        exec,
      ).catch(() => new Map<string, Provider[]>());
      const because = updateError ? ` (apt-get update failed: ${updateError})` : "";
      for (const i of doubtful) {
        const spec = items[i].spec;
        const policy = findPolicy(policies, spec.package);
        const pin = pinned(spec);
        let problem: string | undefined;
        const resolved = pin && policy ? resolvePin(pin, policy.versions, policy.candidate) : pin;
        if (!policy) problem = unknownProblem(spec.package, await knownNames(exec));
        else if (pin && !resolved) problem = noMatchingVersion(spec.package, pin, policy.versions);
        else if (policy.candidate === null && lookup(provides, spec.package)) {
          const providers = providerNames(lookup(provides, spec.package)!);
          if (pin || providers.length > 1) problem = virtualProblem(spec.package, providers);
        } else if (!pin && policy.candidate === null) {
          problem = `package "${spec.package}" has no installation candidate`;
        }
        if (problem) outcomes[i] = failure(`${problem}${because}`);
        else if (resolved) versions.set(i, resolved);
      }
      install = install.filter((i) => outcomes[i].ok);
    }
    // Recommends only for packages that ask for them: one transaction per choice.
    for (const recommends of [false, true]) {
      const group = install.filter((i) =>
        (items[i].spec.install_recommends ?? false) === recommends
      );
      if (group.length === 0) continue;
      const specs = group.map((i) => items[i].spec);
      const args = group.map((i) => {
        const version = versions.get(i);
        return version ? `${items[i].spec.package}=${version}` : items[i].spec.package;
      });
      // A pin is a request for that exact version, older or not.
      const downgrades = specs.some((s) => pinned(s)) ? ["--allow-downgrades"] : [];
      const flag = recommends ? "--install-recommends" : "--no-install-recommends";
      const result = await exec.run([...APT_GET, ...downgrades, "install", flag, "--", ...args], {
        ...options,
        timeoutMs: INSTALL_TIMEOUT_MS,
      });
      if (result.code !== 0) {
        const what = `apt-get install ${args.join(" ")} failed: ${exitedWith("apt-get", result)}`;
        for (const i of group) outcomes[i] = failure(what);
      }
    }
  }

  for (const [state, verb] of [["absent", "remove"], ["purged", "purge"]] as const) {
    const indices = todo(state).filter((i) => outcomes[i].ok);
    if (indices.length === 0) continue;
    const names = indices.map((i) => items[i].spec.package);
    const result = await exec.run([...APT_GET, verb, "--", ...names], {
      ...options,
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    if (result.code !== 0) {
      const what = `apt-get ${verb} ${names.join(" ")} failed: ${exitedWith("apt-get", result)}`;
      for (const i of indices) outcomes[i] = failure(what);
    }
  }
  return outcomes;
}

/**
 * Rollback: the recorded version back (`apt-get install name=version`,
 * downgrading if need be), or the package removed when none was installed. A
 * version apt no longer offers is a failure naming it.
 */
async function restore(before: Before, exec: Executor, ctx: ResourceContext): Promise<Outcome> {
  if (before.type !== "package") return failure(`a ${before.type} record is not a package`);
  const options = {
    env: APT_ENV,
    onLine: (line: string) => ctx.progress(line),
    timeoutMs: INSTALL_TIMEOUT_MS,
  };
  if (before.version === null) {
    const result = await exec.run([...APT_GET, "remove", "--", before.name], options);
    return result.code === 0 ? { ok: true } : failure(exitedWith("apt-get remove", result));
  }
  const policy = findPolicy(await queryPolicy(exec, [before.name]), before.name);
  if (!policy?.versions.includes(before.version)) {
    return failure(
      `cannot put package "${before.name}" back to version "${before.version}": apt no longer offers it (available: ${
        policy?.versions.join(", ") || "none"
      })`,
    );
  }
  const argv = [
    ...APT_GET,
    "--allow-downgrades",
    "install",
    "--",
    `${before.name}=${before.version}`,
  ];
  const result = await exec.run(argv, options);
  return result.code === 0 ? { ok: true } : failure(exitedWith("apt-get install", result));
}

/** Fails the items no apt-get update can help: held packages, pins on virtual ones. */
function failFirm(items: { spec: PackageSpec; changes: Change[] }[], outcomes: Outcome[]): void {
  items.forEach((item, i) => {
    const firm = item.changes.find((c) =>
      HELD_PROBLEM.test(c.note ?? "") || VIRTUAL_PROBLEM.test(c.note ?? "")
    );
    if (firm) outcomes[i] = failure(firm.note!);
  });
}

/** The full version a pinned item installs, as its diff resolved it. */
function versionOf(item: { spec: PackageSpec; changes: Change[] }): string | undefined {
  if (!pinned(item.spec)) return undefined;
  return String(item.changes.find((c) => c.field === "version")?.after ?? pinned(item.spec));
}

/** Every package name apt knows, or none when apt-cache cannot say. */
function knownNames(probe: Probe): Promise<string[]> {
  return queryPackageNames(probe).catch(() => []);
}

function id(spec: PackageSpec): string {
  return `package[${spec.package}]`;
}

/**
 * The version the state records: installed now, or once `applied`, the one
 * apt-get installs (the candidate, or what the pin resolves to). A new
 * upstream version then differs from the recorded one (no drift), a package
 * removed or downgraded by hand does not (drift). None for absent packages.
 */
function fingerprint(spec: PackageSpec, current: PackageState, applied?: boolean) {
  if (spec.state !== "present") return undefined;
  if (!applied) return current.version ?? undefined;
  const pin = pinned(spec);
  return (pin ? resolvePin(pin, current.available ?? [], current.candidate) : current.candidate) ??
    undefined;
}

/** The `package` resource kind. */
export const aptPackage: ResourceKind<PackageSpec, PackageState> = {
  name: "package",
  batches: true,
  id,
  read,
  diff,
  fingerprint,
  apply,
  snapshot: (spec, current) =>
    Promise.resolve({ type: "package", name: spec.package, version: current.version }),
  restore: (before, exec, _store, ctx) => restore(before, exec, ctx),
};
