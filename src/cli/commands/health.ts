/**
 * `cm health`: the cookbooks' health checks, on demand.
 *
 * @module
 */
import type { Command } from "commander";
import { healthNow } from "../../app/health.ts";
import { EXIT } from "../exit.ts";
import { printHealth, terminalPrinter } from "../output.ts";
import { type Deps, examples, stateDirOption, verbosity } from "../_common.ts";

/** Adds `cm health` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("health")
    .description("run the cookbooks' health checks now (exit 1 when one fails)")
    .argument("<cookbook...>", "cookbook YAML files")
    .option("--json", "print the checks' results as JSON")
    .option("-q, --quiet", "print only failed checks")
    .addOption(stateDirOption("state directory (for the cached cookbooks)"))
    .addHelpText("after", examples(["cm health cookbooks/hello-web.yaml"]))
    .action(async (files: string[], opts) => {
      const record = await healthNow(files, deps.exec, opts.stateDir);
      if (opts.json) console.log(JSON.stringify(record, null, 1));
      else {
        const printer = terminalPrinter(verbosity(opts), false);
        printHealth(printer, record);
        if (!record.checks.length) printer.err("health: the cookbooks have no health checks");
      }
      deps.setCode(record.ok ? EXIT.ok : EXIT.failed);
    });
}
