/**
 * `cm metrics`: print the metrics cm writes for node_exporter's textfile collector.
 *
 * @module
 */
import type { Command } from "commander";
import { collectMetrics } from "../../monitor/observe.ts";
import { renderMetrics } from "../../monitor/metrics.ts";
import { statePaths } from "../../state/paths.ts";
import { terminalPrinter } from "../output.ts";
import { type Deps, examples, stateDirOption } from "../_common.ts";

/** Adds `cm metrics` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("metrics")
    .description("print cm's metrics in the Prometheus text format (as written to cm.prom)")
    .addOption(stateDirOption("state, runs and lock directory"))
    .addHelpText("after", examples(["cm metrics", "cm metrics | promtool check metrics"]))
    .action((opts) => {
      const text = renderMetrics(collectMetrics(deps.exec, statePaths(opts.stateDir)));
      terminalPrinter("normal", false).out(text.trimEnd());
    });
}
