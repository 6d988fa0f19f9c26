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
  const [{ cli }, { errorLines, EXIT, exitCodeOf, exitStyle }] = await Promise.all([
    import("./src/cli/mod.ts"),
    import("./src/cli/exit.ts"),
  ]);
  try {
    return await cli(argv);
  } catch (error) {
    const code = exitCodeOf(error, exitStyle(argv));
    if (code === EXIT.bug) {
      console.error("cm: internal error (a bug in cm; please report it with this trace):");
      console.error(error);
    } else for (const line of errorLines(error as Error)) console.error(line);
    return code;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
