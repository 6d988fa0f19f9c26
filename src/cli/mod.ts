/**
 * The command line: the list of subcommands (one file each under commands/),
 * parsed with commander.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { RealExecutor } from "../exec/real.ts";
import { versionLine } from "../version.ts";
import { EXIT, exitStyle, usageExitCode } from "./exit.ts";
import { type Deps, examples } from "./_common.ts";
import * as apply from "./commands/apply.ts";
import * as plan from "./commands/plan.ts";
import * as validate from "./commands/validate.ts";
import * as history from "./commands/history.ts";
import * as showRun from "./commands/show_run.ts";
import * as sync from "./commands/sync.ts";
import * as status from "./commands/status.ts";
import * as timer from "./commands/timer.ts";
import * as facts from "./commands/facts.ts";

/** Every subcommand, in the order `cm --help` lists them. */
const COMMANDS = [apply, plan, validate, facts, history, showRun, sync, status, timer];

/**
 * Runs cm with `argv` (without the program name) and resolves to the exit
 * code; errors a command throws are left for main.ts to map (src/cli/exit.ts).
 *
 * @throws {CookbookError} {ConfigError} {UsageError} {StateError} {LockTimeoutError}
 */
export async function cli(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const deps: Deps = { exec: new RealExecutor(), setCode: (n) => code = n };
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
  for (const command of COMMANDS) command.register(program, deps);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const shown = ["commander.helpDisplayed", "commander.version", "commander.help"];
    return shown.includes(error.code) ? EXIT.ok : usageExitCode(exitStyle(argv));
  }
  return code;
}
