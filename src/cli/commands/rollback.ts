/**
 * `cm rollback [RUN_ID]`: a run's snapshot restored by hand.
 *
 * @module
 */
import { rollbackRun } from "../../app/health.ts";
import { errorMessage } from "../../errors.ts";
import { printable } from "../../exec/output.ts";
import { observeRollback } from "../../monitor/observe.ts";
import { EXIT } from "../exit.ts";
import { monitorFor, printWarnings } from "../_monitor.ts";
import { readDisabled } from "../../state/disabled.ts";
import { statePaths } from "../../state/paths.ts";
import {
  printRollback,
  rollbackOfApplyNote,
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
  epilog: `
On a node that syncs, a rollback of a run of cm sync quarantines its commit: the
next sync applies nothing until a newer commit. A run of cm apply has no commit:
cm sync converges to git, so what the synced cookbooks declare is put back by
the next sync (cm rollback names it); cm disable keeps the rollback standing.
${
    examples([
      "cm rollback",
      "cm rollback 20261130T201500Z-4242",
      "cm rollback --force 20261130T201500Z-4242",
      'cm disable "hotfix rolled back, see INC-42" && cm rollback',
    ])
  }`,
  async run([runId], opts, { exec }) {
    const printer = terminalPrinter(verbosity(opts), false);
    const { record, report, resync } = await rollbackRun(runId, exec, {
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
    else printRollback(printer, record, true);
    const note = report && rollbackOfSyncNote(report) ||
      resync &&
        rollbackOfApplyNote(record.runId, resync, readDisabled(exec, statePaths(opts.stateDir)));
    if (note) printer.err(`warning: ${printable(note)}`, "warning");
    return record.ok ? EXIT.ok : EXIT.failed;
  },
};
