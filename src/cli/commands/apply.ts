/**
 * `cm apply`: converge the machine to the cookbooks.
 *
 * @module
 */
import type { Command } from "commander";
import { DEFAULT_LOCK_TIMEOUT } from "../../app/converge.ts";
import { type Deps, examples, seconds } from "../_common.ts";
import { applyLike, convergeCommand } from "./_apply_like.ts";

/** Adds `cm apply` to the program. */
export function register(program: Command, deps: Deps): void {
  applyLike(program, "apply", "converge the machine to the cookbooks")
    .option("--check", "only show what would change (same as cm plan)")
    .option(
      "--detailed-exitcodes",
      "exit 0 no changes, 2 changes, 4 failures, 6 both (1 cookbook/usage error)",
    )
    .option(
      "--lock-timeout <seconds>",
      "wait this long for another run's lock",
      seconds,
      DEFAULT_LOCK_TIMEOUT,
    )
    .addHelpText(
      "after",
      examples([
        "cm apply cookbooks/hello-web.yaml",
        "cm apply --check --diff web.yaml",
        "cm apply --json --state-dir /tmp/cm web.yaml > report.json",
      ]),
    )
    .action(async (files: string[], opts) => {
      deps.setCode(await convergeCommand(files, deps.exec, opts));
    });
}
