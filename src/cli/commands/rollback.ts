/**
 * `cm rollback [RUN_ID]`: a run's snapshot restored by hand.
 *
 * @module
 */
import { rollbackRun } from "../../app/health.ts";
import { errorMessage } from "../../errors.ts";
import { observeRollback } from "../../monitor/observe.ts";
import { EXIT } from "../exit.ts";
import { monitorFor, printWarnings } from "../_monitor.ts";
import {
  printHealth,
  printRollback,
  rollbackOfSyncNote,
  runEvents,
  terminalPrinter,
} from "../output.ts";
import {
  type Command,
  examples,
  jsonOption,
  LOCK_TIMEOUT_OPTION,
  quietOption,
  stateDirOption,
  verbosity,
} from "../_common.ts";

/** `cm rollback`. */
export const command: Command<
  { stateDir?: string; lockTimeout: number; json?: boolean; quiet?: boolean; force?: boolean }
> = {
  name: "rollback",
  summary: "put back what a run changed, from its snapshot (default: the newest), and check health",
  argument: {
    name: "run-id",
    help: "the run to undo (cm history lists them); a unique prefix will do",
    optional: true,
  },
  options: [
    jsonOption("the rollback's record"),
    quietOption("failures and the closing line"),
    {
      flag: "--force",
      help: "restore an older run even where later runs changed the same resources again",
    },
    LOCK_TIMEOUT_OPTION,
    stateDirOption(),
  ],
  epilog: examples([
    "cm rollback",
    "cm rollback 20261130T201500Z-4242",
    "cm rollback --force 20261130T201500Z-4242",
  ]),
  async run([runId], opts, { exec }) {
    const printer = terminalPrinter(verbosity(opts), false);
    const { record, report } = await rollbackRun(runId, exec, {
      stateDir: opts.stateDir,
      lockTimeout: opts.lockTimeout,
      force: opts.force,
      events: runEvents(printer, { plan: false, json: !!opts.json }),
    });
    try {
      // The health alert and the metrics (which count the rollback), as the node configures them.
      printWarnings(
        printer,
        await observeRollback(exec, report, await monitorFor(exec, opts.stateDir)),
      );
    } catch (error) {
      printer.err(`warning: cannot read the node configuration: ${errorMessage(error)}`);
    }
    if (opts.json) console.log(JSON.stringify(record, null, 1));
    else {
      printHealth(printer, record.health);
      printRollback(printer, record);
    }
    const note = report && rollbackOfSyncNote(report);
    if (note) printer.err(`warning: ${note}`);
    return record.ok ? EXIT.ok : EXIT.failed;
  },
};
