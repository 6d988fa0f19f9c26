/**
 * `cm validate`: check cookbooks without touching the machine.
 *
 * @module
 */
import { readSavedFacts } from "../../app/facts.ts";
import { validateCookbooks } from "../../app/validate.ts";
import { type Command, examples, VARS_FILE_OPTION } from "../_common.ts";
import { printable } from "../../exec/output.ts";
import { EXIT } from "../exit.ts";
import { COOKBOOKS, FACTS_OPTION } from "./_apply_like.ts";

/** `cm validate`; problems are thrown as a CookbookError (exit 2). */
export const command: Command<{ facts?: string; varsFile?: string }> = {
  name: "validate",
  summary: "check cookbooks without touching the machine; exit 2 with file:line:col errors",
  argument: COOKBOOKS,
  options: [FACTS_OPTION, VARS_FILE_OPTION],
  epilog: examples([
    "cm validate cookbooks/*.yaml",
    "cm validate --facts web1.json nodes/web1.yaml",
  ]),
  async run(files, opts, { exec }) {
    const { facts, varsFile } = opts;
    const cookbook = await validateCookbooks(files, exec, {
      facts: facts ? readSavedFacts(exec, facts) : undefined,
      varsFile,
    });
    const n = cookbook.resources.length;
    console.log(
      `${printable(cookbook.files.join(", "))}: valid, ${n} resource${n === 1 ? "" : "s"}`,
    );
    return EXIT.ok;
  },
};
