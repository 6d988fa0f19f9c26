/**
 * `cm metrics`: print the metrics cm writes for node_exporter's textfile collector.
 *
 * @module
 */
import { collectMetrics } from "../../monitor/observe.ts";
import { renderMetrics } from "../../monitor/metrics.ts";
import { statePaths } from "../../state/paths.ts";
import { terminalPrinter } from "../output.ts";
import { type Command, examples, stateDirOption } from "../_common.ts";
import { EXIT } from "../exit.ts";

/** `cm metrics`. */
export const command: Command<{ stateDir?: string }> = {
  name: "metrics",
  summary: "print cm's metrics in the Prometheus text format (as written to cm.prom)",
  options: [stateDirOption("state, runs and lock directory")],
  epilog: examples(["cm metrics", "cm metrics | promtool check metrics"]),
  run(_, opts, { exec }) {
    const paths = statePaths(opts.stateDir);
    terminalPrinter("normal", false).out(renderMetrics(collectMetrics(exec, paths)).trimEnd());
    return EXIT.ok;
  },
};
