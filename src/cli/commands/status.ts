/**
 * `cm status`: the current commit, the last sync, the timer and the last run;
 * exits 1 when the last sync was refused or failed or the last run failed or was interrupted.
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import type { Probe } from "../../exec/executor.ts";
import { type StatePaths, statePaths } from "../../state/paths.ts";
import { readState } from "../../state/store.ts";
import { abandonedHolder, type Holder, lockHolder } from "../../state/lock.ts";
import { readDisabled } from "../../state/disabled.ts";
import { readTimerStatus, type TimerStatus } from "../../sync/timer_status.ts";
import { statusExitCode } from "../exit.ts";
import { statusLines, statusProblems } from "../status.ts";
import { type Command, examples, jsonOption, stateDirOption } from "../_common.ts";

async function timerOf(probe: Probe): Promise<TimerStatus | { error: string }> {
  try {
    return await readTimerStatus(probe);
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** The run a dead cm left in the lock while it changed the machine, unless its report exists. */
function unrecordedKill(probe: Probe, paths: StatePaths): Holder | null {
  const killed = abandonedHolder(paths.lock);
  return killed && !probe.stat(`${paths.runs}/${killed.run}.json`) ? killed : null;
}

/** `cm status`. */
export const command: Command<{ stateDir?: string; json?: boolean }> = {
  name: "status",
  summary:
    "show a run in progress, cm disable's reason, the current commit, the last sync (time, result, why), the timer and the last run; exit 1 when cm is disabled, the last sync was refused or failed or the last run failed or was interrupted",
  options: [
    stateDirOption(),
    jsonOption(
      "the state's sync and last-run records, cm disable's marker, the timer and problems",
    ),
  ],
  epilog: examples(["cm status", "cm status --json --state-dir /tmp/cm"]),
  async run(_, opts, { exec }) {
    const paths = statePaths(opts.stateDir);
    const state = readState(exec, paths);
    const running = lockHolder(paths.lock);
    const timer = await timerOf(exec);
    const disabled = readDisabled(exec, paths);
    const killed = unrecordedKill(exec, paths);
    const problems = statusProblems(state, { timer, disabled, killed });
    if (opts.json) {
      const record = {
        running,
        killed,
        disabled,
        sync: state.sync ?? null,
        lastRun: state.lastRun ?? null,
        lastRollback: state.lastRollback ?? null,
        timer,
        problems,
      };
      console.log(JSON.stringify(record, null, 1));
    } else {
      for (const line of statusLines(state, new Date(), { timer, running, disabled, killed })) {
        console.log(line);
      }
      for (const problem of problems) console.log(`problem:      ${problem}`);
    }
    return statusExitCode(problems);
  },
};
