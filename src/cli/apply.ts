/**
 * `cm apply` and `cm plan`: load → plan → apply → record.
 *
 * @module
 */
import type { Executor } from "../exec/executor.ts";
import { readCatalog, writeCatalog } from "../cookbook/catalog.ts";
import { run } from "../engine/run.ts";
import type { RunReport } from "../engine/report.ts";
import { acquireLock } from "../state/lock.ts";
import { recordRun } from "../state/store.ts";
import { statePaths } from "../state/paths.ts";
import { detailedExitCode, EXIT } from "./exit.ts";
import { watchSignals } from "./signals.ts";
import { type Printer, printHandler, printResult, summary } from "./output.ts";

/** Options shared by apply, plan and sync. */
export interface ApplyOptions {
  check?: boolean;
  json?: boolean;
  stateDir?: string;
  detailedExitcodes?: boolean;
  /** Seconds to wait for another run's lock. */
  lockTimeout?: number;
  /** Recorded in the report and state (cm sync). */
  commit?: string;
  /** Already holding the run lock (cm sync takes it for the whole sync). */
  locked?: boolean;
}

/** Loads the cookbooks and plans or applies them; returns the report and the exit code. */
export async function applyCookbooks(
  files: string[],
  exec: Executor,
  printer: Printer,
  options: ApplyOptions,
): Promise<{ report: RunReport; code: number }> {
  const plan = !!options.check;
  const paths = statePaths(options.stateDir);
  const cached = await readCatalog(exec, paths.catalog, files);
  const cookbook = cached ?? await (await import("../cookbook/load.ts")).loadCookbooks(files, exec);
  const events = {
    result: options.json
      ? undefined
      : (r: Parameters<typeof printResult>[2]) => printResult(printer, plan, r),
    handler: options.json
      ? undefined
      : (h: Parameters<typeof printHandler>[2]) => printHandler(printer, plan, h),
    progress: (line: string) => printer.verbosity !== "quiet" && printer.err(`  ${line}`),
    warning: (message: string) => printer.err(`warning: ${message}`),
  };
  let report: RunReport;
  let interruptCode: () => number | undefined = () => undefined;
  if (plan) {
    report = await run(cookbook, { mode: "plan", probe: exec }, events, { diff: printer.diff });
  } else {
    const lock = options.locked ? undefined : await acquireLock(
      paths.lock,
      (options.lockTimeout ?? 300) * 1000,
      "cm apply",
      (message) => printer.err(message),
    );
    using signals = watchSignals((line) => printer.err(line));
    interruptCode = signals.exitCode;
    try {
      report = await run(cookbook, { mode: "apply", exec }, events, {
        diff: printer.diff,
        interrupted: signals.interrupted,
      });
      if (options.commit) report.commit = options.commit;
      const warning = recordRun(exec, paths, report);
      if (warning) printer.err(`warning: ${warning}`);
      if (!cached) writeCatalog(exec, paths.catalog, cookbook);
    } finally {
      lock?.release();
    }
  }
  if (options.json) printer.out(JSON.stringify(report, null, 1));
  else if (printer.verbosity !== "quiet" || report.totals.failed) printer.err(summary(report));
  const { changed, failed } = report.totals;
  const code = interruptCode() ?? (options.detailedExitcodes
    ? detailedExitCode(
      changed + report.handlers.filter((h) => h.status === "changed").length,
      failed,
    )
    : failed
    ? EXIT.failed
    : EXIT.ok);
  return { report, code };
}
