/**
 * The command line: the list of subcommands (one file each under commands/,
 * loaded only when named, so `cm apply` loads nothing of `cm sync`), read by
 * the table-driven parser in args.ts.
 *
 * @module
 */
import { RealExecutor } from "../exec/real.ts";
import { UsageError } from "../errors.ts";
import { versionLine } from "../version.ts";
import { EXIT, exitStyle, usageExitCode } from "./exit.ts";
import { type Command, examples } from "./_common.ts";
import { parseCommand, rows, unknown, usageTail } from "./args.ts";

/** Every subcommand, in the order `cm --help` lists them. */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  apply: () => import("./commands/apply.ts"),
  plan: () => import("./commands/plan.ts"),
  validate: () => import("./commands/validate.ts"),
  facts: () => import("./commands/facts.ts"),
  history: () => import("./commands/history.ts"),
  "show-run": () => import("./commands/show_run.ts"),
  sync: () => import("./commands/sync.ts"),
  status: () => import("./commands/status.ts"),
  timer: () => import("./commands/timer.ts"),
  health: () => import("./commands/health.ts"),
  rollback: () => import("./commands/rollback.ts"),
  disable: () => import("./commands/disable.ts"),
  enable: () => import("./commands/enable.ts"),
  drift: () => import("./commands/drift.ts"),
  metrics: () => import("./commands/metrics.ts"),
  watch: () => import("./commands/watch.ts"),
};

const SUMMARY =
  "cm converges a Debian/Ubuntu machine to YAML cookbooks: packages, files, services, commands.";

const EXAMPLES = examples([
  "cm plan cookbooks/hello-web.yaml          # what would change, changes nothing",
  "cm apply cookbooks/hello-web.yaml         # converge this machine",
  "cm apply --check --diff web.yaml          # = plan, with file diffs",
  "cm history                                # recorded runs",
  "cm sync --once --repo https://git.example.com/ops/cookbooks.git",
  "cm timer install                          # cm sync --once every interval",
  "cm COMMAND --help                         # every command's flags and examples",
]);

/** Every command, loaded, in `cm --help`'s order. */
function allCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).command));
}

/** `cm --help`: every command's usage and summary. */
async function programHelp(): Promise<string> {
  const commands = (await allCommands())
    .map((command) => [`${command.name} ${usageTail(command)}`.trim(), command.summary]);
  return [
    "Usage: cm [options] [command]",
    "",
    SUMMARY,
    "",
    "Options:",
    ...rows([["-V, --version", "output the version number"], [
      "-h, --help",
      "display help for command",
    ]]),
    "",
    "Commands:",
    ...rows([
      ...commands,
      ["help [command]", "display help for command"],
      ["help --man", "print the manual page cm(1) (roff)"],
    ]),
    "",
  ].join("\n") + EXAMPLES;
}

/** The command named `name`, loaded. @throws {UsageError} for an unknown name */
async function commandNamed(name: string): Promise<Command> {
  const load = COMMANDS[name];
  if (!load) throw new UsageError(unknown(name, Object.keys(COMMANDS), "(cm --help lists them)"));
  return (await load()).command;
}

/**
 * Runs cm with `argv` (without the program name) and resolves to the exit
 * code; errors a command throws are left for main.ts to map (src/cli/exit.ts).
 *
 * @throws {CookbookError} {ConfigError} {UsageError} {StateError} {LockTimeoutError}
 */
export async function cli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(await programHelp());
    return usageExitCode(exitStyle(argv));
  }
  if (first === "-h" || first === "--help") return print(await programHelp());
  if (first === "-V" || first === "--version") {
    if (rest.length) throw new UsageError(`${first} takes no arguments, got "${rest.join(" ")}"`);
    return print(versionLine() + "\n");
  }
  if (first === "help") {
    if (rest[0] === undefined) return print(await programHelp());
    if (rest[0] === "--man" && rest.length === 1) {
      const { manPage } = await import("./man.ts");
      return print(manPage(await allCommands(), SUMMARY));
    }
    return cli([...rest, "--help"]);
  }
  const parsed = parseCommand(await commandNamed(first), rest, ["cm"]);
  if ("help" in parsed) return print(parsed.help);
  return await parsed.command.run!(parsed.operands, parsed.options, { exec: new RealExecutor() });
}

function print(text: string): number {
  console.log(text.replace(/\n$/, ""));
  return EXIT.ok;
}
