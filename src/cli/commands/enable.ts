/**
 * `cm enable`: undoes `cm disable` (Puppet's `puppet agent --enable`).
 *
 * @module
 */
import { printable } from "../../exec/output.ts";
import { statePaths } from "../../state/paths.ts";
import { describeDisabled, readDisabled, removeDisabled } from "../../state/disabled.ts";
import { EXIT } from "../exit.ts";
import { type Command, examples, stateDirOption } from "../_common.ts";

/** `cm enable`. */
export const command: Command<{ stateDir?: string }> = {
  name: "enable",
  summary: "let cm sync, cm apply and cm watch change this machine again after cm disable",
  options: [stateDirOption("state directory (where cm disable put its marker)")],
  epilog: examples(["cm enable", "cm enable && cm sync --once"]),
  run(_, opts, { exec }) {
    const paths = statePaths(opts.stateDir);
    const mark = readDisabled(exec, paths);
    if (!mark) {
      console.log("cm is not disabled: nothing to do");
      return EXIT.ok;
    }
    removeDisabled(exec, paths);
    console.log(printable(`cm enabled again (it was disabled ${describeDisabled(mark)})`));
    return EXIT.ok;
  },
};
