/**
 * `cm validate`: check cookbooks without touching the machine.
 *
 * @module
 */
import type { Command } from "commander";
import { readSavedFacts } from "../../app/facts.ts";
import { validateCookbooks } from "../../app/validate.ts";
import { type Deps, examples } from "../_common.ts";

/** Adds `cm validate` to the program; problems are thrown as a CookbookError (exit 2). */
export function register(program: Command, deps: Deps): void {
  program.command("validate")
    .description("check cookbooks without touching the machine; exit 2 with file:line:col errors")
    .argument("<cookbook...>", "cookbook YAML files")
    .option("--facts <file>", "use another machine's facts, saved by cm facts --json")
    .addHelpText(
      "after",
      examples(["cm validate cookbooks/*.yaml", "cm validate --facts web1.json nodes/web1.yaml"]),
    )
    .action(async (files: string[], opts: { facts?: string }) => {
      const facts = opts.facts ? readSavedFacts(deps.exec, opts.facts) : undefined;
      const cookbook = await validateCookbooks(files, deps.exec, facts);
      const n = cookbook.resources.length;
      console.log(`${cookbook.files.join(", ")}: valid, ${n} resource${n === 1 ? "" : "s"}`);
    });
}
