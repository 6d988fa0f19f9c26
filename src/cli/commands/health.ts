/**
 * `cm health`: the cookbooks' health checks, on demand.
 *
 * @module
 */
import { healthNow } from "../../app/health.ts";
import { EXIT } from "../exit.ts";
import { printHealth, terminalPrinter } from "../output.ts";
import {
  type Command,
  examples,
  jsonOption,
  quietOption,
  stateDirOption,
  verbosity,
} from "../_common.ts";

/** `cm health`. */
export const command: Command<{ stateDir?: string; json?: boolean; quiet?: boolean }> = {
  name: "health",
  summary: "run the cookbooks' health checks now (exit 1 when one fails)",
  argument: {
    name: "cookbook",
    help: "cookbook YAML files (default: those of the last apply or sync)",
    many: true,
    optional: true,
  },
  options: [
    jsonOption("the checks' results"),
    quietOption("failed checks"),
    stateDirOption("state directory (for the cached cookbooks)"),
  ],
  epilog: examples(["cm health", "cm health cookbooks/hello-web.yaml"]),
  async run(files, opts, { exec }) {
    const record = await healthNow(files, exec, opts.stateDir);
    if (opts.json) console.log(JSON.stringify(record, null, 1));
    else {
      const printer = terminalPrinter(verbosity(opts), false);
      printHealth(printer, record);
      if (!record.checks.length) printer.err("health: the cookbooks have no health checks");
    }
    return record.ok ? EXIT.ok : EXIT.failed;
  },
};
