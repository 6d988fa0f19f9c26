/**
 * The command line: every subcommand, its flags and its help with examples.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { RealExecutor } from "../exec/real.ts";
import { validateCookbooks } from "../engine/validate.ts";
import { applyCookbooks } from "./apply.ts";
import { EXIT, usageExitCode } from "./exit.ts";
import { history, showRun } from "./history.ts";
import { terminalPrinter } from "./output.ts";
import { count, examples, seconds, stateDirOption, verbosity } from "./_common.ts";
import { registerSyncCommands } from "./sync.ts";

/** The version printed by `cm --version`. */
export { VERSION } from "../version.ts";
import { versionLine } from "../version.ts";

/**
 * Runs cm with `argv` (without the program name) and resolves to the exit
 * code. Throws CookbookError, UsageError or LockTimeoutError for main.ts to map.
 */
export async function cli(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const exec = new RealExecutor();
  const program = new Command("cm")
    .description(
      "cm converges a Debian/Ubuntu machine to YAML cookbooks: packages, files, services, commands.",
    )
    .version(versionLine(), "-V, --version")
    .addHelpText(
      "after",
      examples([
        "cm plan cookbooks/hello-web.yaml          # what would change, changes nothing",
        "cm apply cookbooks/hello-web.yaml         # converge this machine",
        "cm apply --check --diff web.yaml          # = plan, with file diffs",
        "cm history                                # recorded runs",
        "cm sync --once --repo https://git.example.com/ops/cookbooks.git",
        "cm timer install                          # cm sync --once every interval",
        "cm COMMAND --help                         # every command's flags and examples",
      ]),
    )
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => void Deno.stdout.writeSync(new TextEncoder().encode(s)),
      writeErr: (s) => void Deno.stderr.writeSync(new TextEncoder().encode(s)),
    });

  const applyLike = (name: string, description: string) =>
    program.command(name)
      .description(description)
      .argument("<cookbook...>", "cookbook YAML files")
      .option("--diff", "show unified diffs of file content")
      .option("--json", "print the run report as JSON on stdout")
      .option("-q, --quiet", "print only failures and the summary of a failed run")
      .option("-v, --verbose", "also print unchanged resources")
      .addOption(stateDirOption("state, runs and lock directory"));

  applyLike("apply", "converge the machine to the cookbooks")
    .option("--check", "only show what would change (same as cm plan)")
    .option(
      "--detailed-exitcodes",
      "exit 0 no changes, 2 changes, 4 failures, 6 both (1 cookbook/usage error)",
    )
    .option("--lock-timeout <seconds>", "wait this long for another run's lock", seconds, 300)
    .addHelpText(
      "after",
      examples([
        "cm apply cookbooks/hello-web.yaml",
        "cm apply --check --diff web.yaml",
        "cm apply --json --state-dir /tmp/cm web.yaml > report.json",
      ]),
    )
    .action(async (files: string[], opts) => {
      const printer = terminalPrinter(verbosity(opts), !!opts.diff);
      ({ code } = await applyCookbooks(files, exec, printer, opts));
    });

  applyLike("plan", "show what apply would change; reads only, changes nothing")
    .addHelpText(
      "after",
      examples(["cm plan cookbooks/hello-web.yaml", "cm plan --diff --json web.yaml"]),
    )
    .action(async (files: string[], opts) => {
      const printer = terminalPrinter(verbosity(opts), !!opts.diff);
      ({ code } = await applyCookbooks(files, exec, printer, { ...opts, check: true }));
    });

  program.command("validate")
    .description("check cookbooks without touching the machine; exit 2 with file:line:col errors")
    .argument("<cookbook...>", "cookbook YAML files")
    .addHelpText("after", examples(["cm validate cookbooks/*.yaml"]))
    .action(async (files: string[]) => {
      const cookbook = await validateCookbooks(files, exec);
      const n = cookbook.resources.length;
      console.log(`${cookbook.files.join(", ")}: valid, ${n} resource${n === 1 ? "" : "s"}`);
    });

  program.command("history")
    .description("list recorded runs, oldest first")
    .option("-n, --limit <count>", "how many recent runs", count, 20)
    .option("--json", "print as JSON")
    .addOption(stateDirOption("state, runs and lock directory"))
    .addHelpText("after", examples(["cm history", "cm history -n 5 --json"]))
    .action((opts) =>
      history(exec, terminalPrinter("normal", false), opts.stateDir, opts.limit, !!opts.json)
    );

  program.command("show-run")
    .description("show one run report: what changed, failed or was skipped")
    .argument("<id>", "run id from cm history (a unique prefix is enough)")
    .option("--json", "print the whole report as JSON")
    .option("-v, --verbose", "also list unchanged resources")
    .addOption(stateDirOption("state, runs and lock directory"))
    .addHelpText(
      "after",
      examples(["cm show-run 20261126T054000Z-1234", "cm show-run 20261126 --json"]),
    )
    .action((id: string, opts) =>
      showRun(exec, terminalPrinter(verbosity(opts), false), opts.stateDir, id, !!opts.json)
    );

  registerSyncCommands(program, exec, (n) => code = n);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
        return EXIT.ok;
      }
      if (error.code === "commander.help") return EXIT.ok;
      return usageExitCode(argv);
    }
    throw error;
  }
  return code;
}
