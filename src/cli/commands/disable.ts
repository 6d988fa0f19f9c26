/**
 * `cm disable [REASON]`: Puppet's `puppet agent --disable "reason"`. Until
 * `cm enable`, `cm sync` (the timer's runs too), `cm apply` and `cm watch`'s
 * repairs refuse with exit 7, naming the reason, who and when; a run in
 * progress finishes first. `cm rollback` is still allowed: disabling is how a
 * rollback by hand is kept standing on a node that syncs.
 *
 * @module
 */
import type { Probe } from "../../exec/executor.ts";
import { printable } from "../../exec/output.ts";
import { statePaths } from "../../state/paths.ts";
import { lockHolder } from "../../state/lock.ts";
import { describeDisabled, readDisabled, writeDisabled } from "../../state/disabled.ts";
import { EXIT } from "../exit.ts";
import { type Command, examples, stateDirOption } from "../_common.ts";

/** The audit subsystem's "no login user" (a service, the boot). */
const NO_LOGIN_UID = 4294967295;

/**
 * Who runs this: the user who logged in (the kernel's login uid, kept
 * through sudo) and the user cm runs as when they differ: "alice (as root)".
 */
export function whoRuns(probe: Probe, uid: number): string {
  let login = NaN;
  try {
    login = Number(probe.readText("/proc/self/loginuid")?.trim());
  } catch {
    // No audit login uid on this kernel: the user cm runs as is all there is to say.
  }
  const user = probe.userName(uid);
  if (!Number.isInteger(login) || login === NO_LOGIN_UID || login === uid) return user;
  return `${probe.userName(login)} (as ${user})`;
}

/** `cm disable`. */
export const command: Command<{ stateDir?: string }> = {
  name: "disable",
  summary:
    "stop cm sync (the timer too), cm apply and cm watch from changing this machine until cm enable, saying why",
  argument: {
    name: "reason",
    help: "why, for whoever finds cm disabled (cm status, the refusals show it)",
    many: true,
    optional: true,
  },
  options: [stateDirOption("state directory (the marker disabled.json goes there)")],
  epilog: `
Exit codes: 0 disabled (or already disabled: the first reason stands); 2 the
state directory cannot be written. While disabled, cm sync, cm apply and
cm watch's repairs exit 7; cm plan, cm apply --check, cm sync --check,
cm rollback and cm status still run.
${
    examples([
      'cm disable "migrating the database; ask alice"',
      "cm disable investigating the 03:00 outage",
      "cm enable",
    ])
  }`,
  run(words, opts, { exec }) {
    const paths = statePaths(opts.stateDir);
    const already = readDisabled(exec, paths);
    if (already) {
      console.log(
        printable(`cm is already disabled ${describeDisabled(already)}; left as it is`),
      );
      return EXIT.ok;
    }
    const mark = {
      reason: words.join(" "),
      by: whoRuns(exec, Deno.uid() ?? 0),
      at: new Date().toISOString(),
    };
    writeDisabled(exec, paths, mark);
    console.log(printable(`cm disabled ${describeDisabled(mark)}`));
    console.log("cm sync, cm apply and cm watch's repairs refuse (exit 7) until cm enable");
    const running = lockHolder(paths.lock);
    if (running) {
      console.log(`a run in progress finishes first: ${running.command} (PID ${running.pid})`);
    }
    return EXIT.ok;
  },
};
