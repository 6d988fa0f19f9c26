/**
 * cm's entry point: parses argv, runs the command, maps errors to exit codes
 * (through the table in src/cli/exit.ts). The only place that calls Deno.exit.
 *
 * @module
 */
import { versionLine } from "./src/version.ts";

async function main(argv: string[]): Promise<number> {
  // `cm --version` answers before the CLI's dependencies are even loaded.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    console.log(versionLine());
    return 0;
  }
  const [{ cli }, { errorLines, EXIT, exitCodeOf, exitStyle }, journal] = await Promise.all([
    import("./src/cli/mod.ts"),
    import("./src/cli/exit.ts"),
    import("./src/cli/journal.ts"),
  ]);
  try {
    return await cli(argv);
  } catch (error) {
    const code = exitCodeOf(error, exitStyle(argv));
    // Under systemd the journal files these at err priority (sd-daemon(3)).
    const err = journal.journalStreams().err ? "err" : undefined;
    const print = (line: string) => console.error(journal.withPriority(line, err));
    if (code === EXIT.bug) {
      print("cm: internal error (a bug in cm; please report it with this trace):");
      console.error(error);
    } else for (const line of errorLines(error as Error)) print(line);
    return code;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
