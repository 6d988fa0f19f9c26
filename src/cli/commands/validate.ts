/**
 * `cm validate`: check cookbooks without touching the machine.
 *
 * @module
 */
import type { Command } from "commander";
import { validateCookbooks } from "../../app/validate.ts";
import { type Deps, examples, VARS_FILE_HELP } from "../_common.ts";
import { printable } from "../../exec/output.ts";

/** Adds `cm validate` to the program; problems are thrown as a CookbookError (exit 2). */
export function register(program: Command, deps: Deps): void {
  program.command("validate")
    .description("check cookbooks without touching the machine; exit 2 with file:line:col errors")
    .argument("<cookbook...>", "cookbook YAML files")
    .option("--vars-file <file>", VARS_FILE_HELP)
    .addHelpText("after", examples(["cm validate cookbooks/*.yaml"]))
    .action(async (files: string[], opts: { varsFile?: string }) => {
      const cookbook = await validateCookbooks(files, deps.exec, opts.varsFile);
      const n = cookbook.resources.length;
      console.log(
        `${printable(cookbook.files.join(", "))}: valid, ${n} resource${n === 1 ? "" : "s"}`,
      );
    });
}
