/**
 * `cm plan`: show what apply would change; reads only, changes nothing.
 *
 * @module
 */
import { type Command, examples } from "../_common.ts";
import {
  APPLY_LIKE_OPTIONS,
  type ApplyFlags,
  convergeCommand,
  COOKBOOKS,
  FACTS_OPTION,
} from "./_apply_like.ts";

/** `cm plan`. */
export const command: Command<ApplyFlags> = {
  name: "plan",
  summary: "show what apply would change; reads only, changes nothing",
  argument: COOKBOOKS,
  options: [...APPLY_LIKE_OPTIONS, FACTS_OPTION],
  epilog: examples([
    "cm plan cookbooks/hello-web.yaml",
    "cm plan --diff --json web.yaml",
    "cm plan --facts web1.facts.json nodes/web1.yaml",
  ]),
  run: (files, opts, { exec }) => convergeCommand(files, exec, { ...opts, check: true }),
};
