/**
 * The probe a plan gets: it runs only tools that look, so a plan cannot
 * change the machine even through a kind that runs the wrong command.
 *
 * @module
 */
import type { Probe, ProcessOptions, RunResult } from "./executor.ts";

/**
 * The argv a plan may run, each as the words it must start with. `hostname`
 * is listed whole: with an argument it renames the machine.
 */
export const READ_ONLY_COMMANDS: readonly (readonly string[])[] = [
  ["dpkg-query"],
  ["apt-cache", "policy"],
  ["apt-cache", "showpkg"],
  ["apt-cache", "pkgnames"],
  ["systemctl", "list-unit-files"],
  ["systemctl", "show"],
  ["systemctl", "status"],
  ["systemctl", "is-active"],
  ["systemctl", "is-enabled"],
  ["systemctl", "is-failed"],
  ["hostname"],
  ["hostname", "--fqdn"],
  ["git", "ls-remote"],
];

/**
 * Whether `argv` only looks: a {@link READ_ONLY_COMMANDS} entry, `service NAME
 * status`, or one of those run as another user (`runuser -u USER -- ...`).
 */
export function readOnly(argv: readonly string[]): boolean {
  if (argv.length === 3 && argv[0] === "service" && argv[2] === "status") return true;
  if (argv[0] === "runuser" && argv[1] === "-u" && argv[3] === "--") return readOnly(argv.slice(4));
  return READ_ONLY_COMMANDS.some((words) =>
    words[0] === "hostname"
      ? words.length === argv.length && words.every((w, i) => argv[i] === w)
      : words.every((w, i) => argv[i] === w)
  );
}

/**
 * Wraps `probe` for a plan: `run` rejects any argv that is not
 * {@link readOnly}; `runGuard` (a cookbook's guards, which are checks) and
 * the file lookups pass through.
 *
 * @throws {Error} from `run`: `plan refused to run "ARGV": not a read-only tool`.
 */
export function planProbe(probe: Probe): Probe {
  return probeWith(probe, {
    run(argv: string[], options?: ProcessOptions): Promise<RunResult> {
      if (!readOnly(argv)) {
        return Promise.reject(
          new Error(`plan refused to run ${JSON.stringify(argv.join(" "))}: not a read-only tool`),
        );
      }
      return probe.run(argv, options);
    },
  });
}

/** `probe` with the methods `overrides` gives replaced; every other one calls `probe`'s. */
export function probeWith(probe: Probe, overrides: Partial<Probe>): Probe {
  return {
    run: (argv, options) => probe.run(argv, options),
    runGuard: (argv, options) => probe.runGuard(argv, options),
    stat: (path) => probe.stat(path),
    readFile: (path) => probe.readFile(path),
    readText: (path) => probe.readText(path),
    readLink: (path) => probe.readLink(path),
    listDir: (path) => probe.listDir(path),
    hashFile: (path) => probe.hashFile(path),
    uid: (user) => probe.uid(user),
    gid: (group) => probe.gid(group),
    userName: (uid) => probe.userName(uid),
    groupName: (gid) => probe.groupName(gid),
    isRoot: () => probe.isRoot(),
    ...overrides,
  };
}
