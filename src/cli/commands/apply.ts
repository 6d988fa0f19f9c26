/**
 * `cm apply`: converge the machine to the cookbooks.
 *
 * @module
 */
import { type Command, examples, LOCK_TIMEOUT_OPTION } from "../_common.ts";
import { APPLY_LIKE_OPTIONS, type ApplyFlags, convergeCommand, COOKBOOKS } from "./_apply_like.ts";

/** `cm apply`. */
export const command: Command<ApplyFlags> = {
  name: "apply",
  summary: "converge the machine to the cookbooks",
  argument: COOKBOOKS,
  options: [
    ...APPLY_LIKE_OPTIONS,
    { flag: "--check", help: "only show what would change (same as cm plan)" },
    LOCK_TIMEOUT_OPTION,
  ],
  epilog: examples([
    "cm apply cookbooks/hello-web.yaml",
    "cm apply --check --diff web.yaml",
    "cm apply --json --state-dir /tmp/cm web.yaml > report.json",
  ]),
  run: (files, opts, { exec }) => convergeCommand(files, exec, opts),
};
