/**
 * `cm facts`: print the facts cm sees on this machine, like facter.
 *
 * @module
 */
import { gatherFacts } from "../../app/facts.ts";
import { type Command, examples } from "../_common.ts";
import { EXIT } from "../exit.ts";

/** `cm facts`. */
export const command: Command<{ json?: boolean }> = {
  name: "facts",
  summary: "print the facts templates and when: see on this machine; reads only",
  options: [{
    flag: "--json",
    help: "print one JSON mapping by dotted name (what plan --facts reads)",
  }],
  epilog: examples(["cm facts", "cm facts --json > web1.facts.json  # then: cm plan --facts ..."]),
  async run(_, opts, { exec }) {
    const { values, errors } = await gatherFacts(exec);
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
    return EXIT.ok;
  },
};
