/**
 * `cm status`: the current commit, the last sync and the last run.
 *
 * @module
 */
import type { Command } from "commander";
import { statePaths } from "../../state/paths.ts";
import { readState } from "../../state/store.ts";
import { statusLines } from "../status.ts";
import { type Deps, examples, stateDirOption } from "../_common.ts";

/** Adds `cm status` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("status")
    .description("show the current commit, the last sync (time, result, why) and the last run")
    .addOption(stateDirOption())
    .option("--json", "print the state's sync and last-run records as JSON")
    .addHelpText("after", examples(["cm status", "cm status --json --state-dir /tmp/cm"]))
    .action((opts) => {
      const state = readState(deps.exec, statePaths(opts.stateDir));
      if (opts.json) {
        console.log(
          JSON.stringify({ sync: state.sync ?? null, lastRun: state.lastRun ?? null }, null, 1),
        );
      } else for (const line of statusLines(state)) console.log(line);
    });
}
