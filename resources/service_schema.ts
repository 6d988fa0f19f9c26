/**
 * The cookbook fields of a `service` resource: a zod schema with the `.describe()`
 * texts the reference is generated from. Loaded only when a cookbook is
 * validated, so that a run served from the catalog never loads zod.
 *
 * @module
 */
import { z } from "zod";
import { enumWithHints, requires } from "./_fields.ts";

/** The cookbook fields of a service (the seed's `configure.services` items). */
export const schema = z.strictObject({
  name: z.string({ error: "expected a service name" }).regex(/^[A-Za-z0-9:_.@-]+$/, {
    error: 'expected a unit name like "nginx" or "php8.2-fpm.service"',
  }).describe('Unit name; ".service" is implied.'),
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
