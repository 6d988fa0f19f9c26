/**
 * `cm plan`: show what apply would change; reads only, changes nothing.
 *
 * @module
 */
import type { Command } from "commander";
import { type Deps, examples } from "../_common.ts";
import { applyLike, convergeCommand } from "./_apply_like.ts";

/** Adds `cm plan` to the program. */
export function register(program: Command, deps: Deps): void {
  applyLike(program, "plan", "show what apply would change; reads only, changes nothing")
    .option("--facts <file>", "use another machine's facts, saved by cm facts --json")
    .addHelpText(
      "after",
      examples([
        "cm plan cookbooks/hello-web.yaml",
        "cm plan --diff --json web.yaml",
        "cm plan --facts web1.facts.json nodes/web1.yaml",
      ]),
    )
    .action(async (files: string[], opts) => {
      deps.setCode(await convergeCommand(files, deps.exec, { ...opts, check: true }));
    });
}
