/**
 * `cm facts`: print the facts cm sees on this machine, like facter.
 *
 * @module
 */
import type { Command } from "commander";
import { gatherFacts } from "../../app/facts.ts";
import { type Deps, examples } from "../_common.ts";

/** Adds `cm facts` to the program. */
export function register(program: Command, deps: Deps): void {
  program.command("facts")
    .description("print the facts templates and when: see on this machine; reads only")
    .option("--json", "print one JSON mapping by dotted name (what plan --facts reads)")
    .addHelpText(
      "after",
      examples(["cm facts", "cm facts --json > web1.facts.json  # then: cm plan --facts ..."]),
    )
    .action(async (opts: { json?: boolean }) => {
      const { values, errors } = await gatherFacts(deps.exec);
      if (opts.json) {
        console.log(JSON.stringify(values, null, 2));
      } else {
        for (const [name, value] of Object.entries(values)) {
          console.log(`facts.${name}: ${JSON.stringify(value)}`);
        }
      }
      for (const [name, error] of Object.entries(errors)) {
        console.error(`warning: cannot read fact "facts.${name}": ${error}`);
      }
    });
}
