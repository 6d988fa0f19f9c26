/**
 * cm's entry point: parses argv, runs the command, maps errors to exit codes.
 * The only place that calls Deno.exit.
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
  const [
    { cli },
    { CookbookError },
    { LockTimeoutError },
    { EXIT, UsageError, usageExitCode },
    { StateError },
  ] = await Promise.all([
    import("./src/cli/mod.ts"),
    import("./src/cookbook/errors.ts"),
    import("./src/state/lock.ts"),
    import("./src/cli/exit.ts"),
    import("./src/state/store.ts"),
  ]);
  const usage = usageExitCode(argv);
  try {
    return await cli(argv);
  } catch (error) {
    if (error instanceof CookbookError) {
      console.error(error.message);
      console.error(
        `cm: ${error.problems.length} problem(s) in the cookbooks; nothing was applied`,
      );
      return usage;
    }
    if (error instanceof UsageError || error instanceof StateError) {
      console.error(`cm: ${error.message}`);
      return usage;
    }
    if (error instanceof LockTimeoutError) {
      console.error(`cm: ${error.message}`);
      return EXIT.locked;
    }
    if (error instanceof Deno.errors.NotCapable) {
      // Deno itself refused: main.ts was run without the flags of src/permissions.ts.
      console.error(
        `cm: deno was started without cm's permission flags (${error.message}): run \`deno task cm ...\` in the checkout, or the binary (deno task compile builds dist/cm)`,
      );
      return usage;
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      // Resources report their own failures; this is cm's state directory or lock.
      console.error(
        `cm: ${error.message}: cm manages the machine as root (as another user, give --state-dir DIR)`,
      );
      return usage;
    }
    console.error("cm: internal error (a bug in cm; please report it with this trace):");
    console.error(error);
    return EXIT.bug;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
