/**
 * `cm status`: the current commit, the last sync, the timer and the last run;
 * exits 1 when the last sync was refused or failed or the last run failed.
 *
 * @module
 */
import type { Command } from "commander";
import { errorMessage } from "../../errors.ts";
import type { Probe } from "../../exec/executor.ts";
import { statePaths } from "../../state/paths.ts";
import { readState } from "../../state/store.ts";
import { readTimerStatus, type TimerStatus } from "../../sync/timer_status.ts";
import { statusExitCode } from "../exit.ts";
import { statusLines, statusProblems } from "../status.ts";
import { type Deps, examples, stateDirOption } from "../_common.ts";

async function timerOf(probe: Probe): Promise<TimerStatus | { error: string }> {
  try {
    return await readTimerStatus(probe);
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** Adds `cm status` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("status")
    .description(
      "show the current commit, the last sync (time, result, why), the timer and the last run; exit 1 when the last sync was refused or failed or the last run failed",
    )
    .addOption(stateDirOption())
    .option("--json", "print the state's sync and last-run records, the timer and problems as JSON")
    .addHelpText("after", examples(["cm status", "cm status --json --state-dir /tmp/cm"]))
    .action(async (opts) => {
      const state = readState(deps.exec, statePaths(opts.stateDir));
      const timer = await timerOf(deps.exec);
      const problems = statusProblems(state);
      if (opts.json) {
        const record = {
          sync: state.sync ?? null,
          lastRun: state.lastRun ?? null,
          timer,
          problems,
        };
        console.log(JSON.stringify(record, null, 1));
      } else {
        for (const line of statusLines(state, new Date(), timer)) console.log(line);
        for (const problem of problems) console.log(`problem:      ${problem}`);
      }
      deps.setCode(statusExitCode(problems));
    });
}
