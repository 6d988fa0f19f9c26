/**
 * The one duration field of cookbooks and configuration files: seconds as a
 * number (`30`, `1.5`), or a string in the syntax of cm's flags (`"30s"`,
 * `"5m"`, `"1h"`, `"300"`), read by the one parser, {@link parseDuration}.
 * Loaded only with the schemas (it needs zod).
 *
 * @module
 */
import { z } from "zod";
import { parseDuration } from "../src/text.ts";

const SYNTAX = 'expected seconds (a number) or a duration like "30s", "5m", "1h"';

/** Seconds, from a number or a duration string; the reference names its type "duration". */
export const duration = z.union([
  z.number(),
  z.string().refine((v) => parseDuration(v) !== null, { error: SYNTAX })
    .transform((v) => parseDuration(v)!),
], { error: SYNTAX });

/**
 * A {@link duration} from `min` to `max` seconds (both included); `range` is
 * the message for one outside, by default `expected MIN to MAX seconds`.
 */
export function seconds(min: number, max: number, range = `expected ${min} to ${max} seconds`) {
  return duration.pipe(z.number().min(min, { error: range }).max(max, { error: range }));
}
