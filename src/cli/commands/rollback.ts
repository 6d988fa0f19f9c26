/**
 * `cm rollback [RUN_ID]`: a run's snapshot restored by hand.
 *
 * @module
 */
import type { Command } from "commander";
import { rollbackRun } from "../../app/health.ts";
import { DEFAULT_LOCK_TIMEOUT } from "../../app/converge.ts";
import { errorMessage } from "../../errors.ts";
import { writeMetricsFile } from "../../monitor/observe.ts";
import { EXIT } from "../exit.ts";
import { monitorFor } from "../_monitor.ts";
import { printHealth, printRollback, runEvents, terminalPrinter } from "../output.ts";
import { type Deps, examples, seconds, stateDirOption, verbosity } from "../_common.ts";

/** Adds `cm rollback` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("rollback")
    .description(
      "put back what a run changed, from its snapshot (default: the newest), and check health",
    )
    .argument("[run-id]", "the run to undo (cm history lists them); a unique prefix will do")
    .option("--json", "print the rollback's record as JSON")
    .option("-q, --quiet", "print only failures and the closing line")
    .option(
      "--lock-timeout <seconds>",
      "wait this long for another run's lock",
      seconds,
      DEFAULT_LOCK_TIMEOUT,
    )
    .addOption(stateDirOption())
    .addHelpText("after", examples(["cm rollback", "cm rollback 20261130T201500Z-4242"]))
    .action(async (runId: string | undefined, opts) => {
      const printer = terminalPrinter(verbosity(opts), false);
      const record = await rollbackRun(runId, deps.exec, {
        stateDir: opts.stateDir,
        lockTimeout: opts.lockTimeout,
        events: runEvents(printer, { plan: false, json: !!opts.json }),
      });
      try {
        // The metrics file counts the rollback, in the node's configured directory.
        writeMetricsFile(deps.exec, await monitorFor(deps.exec, opts.stateDir));
      } catch (error) {
        printer.err(`warning: cannot write metrics: ${errorMessage(error)}`);
      }
      if (opts.json) console.log(JSON.stringify(record, null, 1));
      else {
        printHealth(printer, record.health);
        printRollback(printer, record);
      }
      deps.setCode(record.ok ? EXIT.ok : EXIT.failed);
    });
}
