/**
 * The cookbook fields of a `cron` entry, and the schedule syntax of cron(8)
 * as Debian's cron reads it (man 5 crontab).
 *
 * @module
 */
import { z } from "zod";
import { accountName, requires } from "./_fields.ts";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** The five fields of a schedule: name, range, and the names allowed (months from 1, days from 0). */
const FIELDS = [
  { name: "minute", min: 0, max: 59, names: [] as string[], first: 0 },
  { name: "hour", min: 0, max: 23, names: [], first: 0 },
  { name: "day of month", min: 1, max: 31, names: [], first: 0 },
  { name: "month", min: 1, max: 12, names: MONTHS, first: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, first: 0 },
];

/** The `@` shorthands cron accepts instead of five fields. */
export const CRON_SHORTHANDS = [
  "@reboot",
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
];

type Field = typeof FIELDS[number];

/** The number a value of `field` stands for ("5", "mar", "Fri"), or `null`. */
function valueOf(text: string, field: Field): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= field.min && n <= field.max ? n : null;
  }
  const at = field.names.indexOf(text.toLowerCase());
  return at === -1 ? null : at + field.first;
}

/** What is wrong with one comma-separated item of a field (`*`, `1-5`, `*\/10`, `mon-fri/2`). */
function itemProblem(item: string, field: Field): string | undefined {
  const [range, step, ...more] = item.split("/");
  const expected = `expected ${field.min}-${field.max}${
    field.names.length ? ` or a name like "${field.names[1]}"` : ""
  }`;
  if (more.length) return `"${item}" has more than one "/"`;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) {
    return `step "${step}" in "${item}" is not a positive number`;
  }
  if (range === "*") return undefined;
  const ends = range.split("-");
  if (ends.length > 2) return `"${item}" is not a range like "1-5"`;
  const values = ends.map((end) => valueOf(end, field));
  const bad = ends.find((_, i) => values[i] === null);
  if (bad !== undefined) return `"${bad}" is out of range: ${expected}`;
  if (values.length === 2 && values[0]! > values[1]!) {
    return `range "${range}" runs backwards`;
  }
  if (step !== undefined && values.length === 1) return `a step needs a range or "*": "${item}"`;
  return undefined;
}

/**
 * What is wrong with a cron schedule, or `undefined` when cron accepts it:
 * five fields (minute hour day-of-month month day-of-week), each a list of
 * `*`, values, ranges and steps, names for months and days; or a shorthand
 * like `@daily`.
 */
export function scheduleProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text.startsWith("@")) {
    return CRON_SHORTHANDS.includes(text)
      ? undefined
      : `expected one of ${CRON_SHORTHANDS.join(", ")}, got "${text}"`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week) or @daily etc., got ${fields.length} in "${text}"`;
  }
  for (let i = 0; i < 5; i++) {
    for (const item of fields[i].split(",")) {
      const problem = itemProblem(item, FIELDS[i]);
      if (problem) return `${FIELDS[i].name}: ${problem}`;
    }
  }
  return undefined;
}

/** One line of text: cron reads its files line by line. */
const oneLine = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected a non-empty ${what}` })
    .refine((s) => !/[\n\r\0]/.test(s), { error: `a ${what} must fit on one line` });

/** The cookbook fields of a cron entry: one file in /etc/cron.d. */
export const schema = z.strictObject({
  name: z.string({ error: "expected a name for the /etc/cron.d file" }).regex(
    /^[A-Za-z0-9_][A-Za-z0-9_-]*$/,
    {
      error:
        "expected a cron.d file name of letters, digits, _ and - (no dot, not starting with -); cron ignores other names",
    },
  ).describe("File name in /etc/cron.d (letters, digits, _ and -)."),
  schedule: oneLine("schedule").refine((s) => scheduleProblem(s) === undefined, {
    error: (issue) => scheduleProblem(issue.input as string),
  }).optional().describe(
    'Five fields "minute hour day-of-month month day-of-week" (e.g. "*/5 * * * *", "30 2 * * mon-fri") or @reboot, @hourly, @daily, @weekly, @monthly, @yearly.',
  ),
  user: accountName.default("root").describe("The user the command runs as."),
  command: oneLine("command").optional().describe(
    "The command, run by /bin/sh; % is written as \\% so it stays a percent sign.",
  ),
  environment: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: "expected a variable name like MAILTO (letters, digits, _)",
    }),
    z.string().refine((s) => !/[\n\r\0]/.test(s), { error: "a value must fit on one line" }),
  ).optional().describe('Variables set for the command, e.g. {MAILTO: "", PATH: "/usr/bin:/bin"}.'),
  state: z.enum(["present", "absent"]).default("present").describe("absent removes the file."),
  requires,
});

/** A cron spec after validation. */
export type CronSpec = z.infer<typeof schema>;
