/**
 * The cookbook fields of a `service` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { enumWithHints, requires } from "./_fields.ts";
import { unitName } from "../src/facts/systemd.ts";

/** The longest unit name systemd takes, its suffix included (UNIT_NAME_MAX). */
const UNIT_NAME_MAX = 255;

/** What is wrong with the "@" of a unit name (`getty@tty1.service`), if anything. */
function instanceProblem(unit: string): string | undefined {
  const at = unit.indexOf("@");
  if (at === -1) return undefined;
  if (unit.indexOf("@", at + 1) !== -1) return 'expected at most one "@" in a unit name';
  if (at === 0 || at + 1 === unit.lastIndexOf(".")) {
    return 'expected a template name and an instance around "@", like "getty@tty1"';
  }
  return undefined;
}

/** The cookbook fields of a service (the seed's `configure.services` items). */
export const schema = z.strictObject({
  name: z.string({ error: "expected a service name" }).regex(/^[A-Za-z0-9:_.][A-Za-z0-9:_.@-]*$/, {
    // A leading "-" would reach systemctl and service as an option.
    error:
      'expected a unit name like "nginx" or "php8.2-fpm.service" (not starting with "-" or "@")',
  }).check(
    // What systemd refuses fails `systemctl show` for every unit of the batch, not this one only.
    z.refine((name) => instanceProblem(unitName(name)) === undefined, {
      error: (issue) => instanceProblem(unitName(issue.input as string)),
    }),
    z.refine((name) => unitName(name).length <= UNIT_NAME_MAX, {
      error: `expected a unit name of at most ${UNIT_NAME_MAX} characters (systemd's limit)`,
    }),
  ).describe('Unit name; ".service" is implied.'),
  state: enumWithHints(["started", "stopped", "restarted"], {
    running: 'did you mean "started"?',
    enabled: "to start it at boot write enabled: true",
    disabled: "to keep it from starting at boot write enabled: false",
  }).optional()
    .describe("started / stopped; restarted restarts on every run."),
  enabled: z.boolean().optional().describe("Start at boot (systemctl enable/disable)."),
  restart_on: z.array(z.string()).optional()
    .describe("Paths or resource ids: restart this service when any of them changed in the run."),
  reload_on: z.array(z.string()).optional()
    .describe("Paths or resource ids: reload this service when any of them changed in the run."),
  requires,
});

/** A service spec after validation. */
export type ServiceSpec = z.infer<typeof schema>;
