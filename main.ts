/**
 * cm's entry point: parses argv, runs the command, maps errors to exit codes.
 * The only place that calls Deno.exit.
 *
 * @module
 */
import { VERSION } from "./src/version.ts";

async function main(argv: string[]): Promise<number> {
  // `cm --version` answers before the CLI's dependencies are even loaded.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    console.log(VERSION);
    return 0;
  }
  const [{ cli }, { CookbookError }, { LockTimeoutError }, { EXIT, UsageError }] = await Promise
    .all([
      import("./src/cli/mod.ts"),
      import("./src/cookbook/errors.ts"),
      import("./src/state/lock.ts"),
      import("./src/cli/exit.ts"),
    ]);
  const detailed = argv.includes("--detailed-exitcodes");
  try {
    return await cli(argv);
  } catch (error) {
    if (error instanceof CookbookError) {
      console.error(error.message);
      console.error(
        `cm: ${error.problems.length} problem(s) in the cookbooks; nothing was applied`,
      );
      return detailed ? 1 : EXIT.usage;
    }
    if (error instanceof UsageError) {
      console.error(`cm: ${error.message}`);
      return detailed ? 1 : EXIT.usage;
    }
    if (error instanceof LockTimeoutError) {
      console.error(`cm: ${error.message}`);
      return EXIT.locked;
    }
    console.error("cm: internal error (a bug in cm; please report it with this trace):");
    console.error(error);
    return EXIT.bug;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
