/**
 * `cm drift`: compare the machine with the last applied cookbooks; changes nothing.
 *
 * @module
 */
import { printable } from "../../exec/output.ts";
import type { Executor } from "../../exec/executor.ts";
import { checkDrift } from "../../app/drift.ts";
import { observeDrift } from "../../monitor/observe.ts";
import { humanTime } from "../../text.ts";
import { EXIT } from "../exit.ts";
import { blockLines, formatChange, type Printer, terminalPrinter } from "../output.ts";
import { type Command, examples, stateDirOption } from "../_common.ts";
import { monitorFor, printWarnings } from "../_monitor.ts";

/** `cm drift`. */
export const command: Command<{ stateDir?: string; json?: boolean }> = {
  name: "drift",
  summary: "compare the machine with the last applied cookbooks; changes nothing",
  options: [
    { flag: "--json", help: "print what drifted as JSON on stdout" },
    stateDirOption("state, runs and lock directory"),
  ],
  epilog: `
Exit codes: 0 no drift; ${EXIT.drift} drift found; 1 a resource could not be read;
2 nothing applied yet, or the cookbooks no longer load.
${examples(["cm drift", "cm drift --json | jq '.drifted[].id'"])}`,
  run: (_, opts, { exec }) => drift(exec, terminalPrinter("normal", false), opts),
};

/** Checks for drift, prints it, records it; resolves to the exit code. */
export async function drift(
  exec: Executor,
  printer: Printer,
  options: { stateDir?: string; json?: boolean },
): Promise<number> {
  const monitor = await monitorFor(exec, options.stateDir);
  const check = await checkDrift(exec, {
    stateDir: options.stateDir,
    events: { warning: (message) => printWarnings(printer, [message]) },
  });
  const { plan, drifted } = check;
  const unreadable = plan.resources.filter((r) => r.status === "failed");
  if (options.json) {
    printer.out(JSON.stringify(
      {
        comparedWith: check.lastRunId,
        comparedWithAt: check.lastRunAt,
        cookbooks: plan.cookbooks,
        drifted,
        unreadable,
      },
      null,
      1,
    ));
  } else {
    for (const r of drifted) {
      printer.out(printable(`drift ${r.id}: ${r.changes.map(formatChange).join(", ")}`), "warning");
    }
    for (const r of unreadable) {
      for (const line of blockLines(`failed ${printable(r.id)}: `, r.error ?? "cannot read")) {
        printer.out(line, "err");
      }
    }
    printer.out(
      `drift: ${drifted.length} of ${plan.resources.length} resource(s) differ from run ${check.lastRunId} (started ${
        humanTime(check.lastRunAt)
      })`,
    );
  }
  printWarnings(printer, await observeDrift(exec, plan, monitor));
  return unreadable.length ? EXIT.failed : drifted.length ? EXIT.drift : EXIT.ok;
}
