/**
 * The `health:` section of a cookbook: a list of checks, each with exactly one
 * of `http`, `command`, `service` or `port`, as zod schemas with the
 * `.describe()` texts the reference is generated from.
 *
 * ```yaml
 * health:
 *   - http: http://127.0.0.1/
 *     body: "Hello, world!"
 *   - service: php8.2-fpm
 *   - port: 9000
 *   - command: [/usr/sbin/nginx, -t]
 * ```
 *
 * @module
 */
import { z } from "zod";
import { seconds } from "../../resources/duration.ts";

const attempts = {
  name: z.string().min(1).optional().describe("Name shown in results; defaults to the check's id."),
  timeout: seconds(0.001, 300).default(5)
    .describe("Seconds one attempt may take before it counts as failed."),
  retries: z.int().min(0).max(20).default(2)
    .describe("Attempts after the first one fails; 0 tries once."),
  backoff: seconds(0, 60).default(1)
    .describe("Seconds before the first retry; doubles before each further retry, up to 60."),
  sensitive: z.boolean().optional().describe(
    "It holds a secret (a token in a URL or argument): reports and alerts name it by `name` or its kind only, a failure without its output, and the cookbooks' catalog is sealed.",
  ),
};

/** An HTTP(S) check, performed through curl. */
export const httpCheckSchema = z.strictObject({
  http: z.string().regex(/^https?:\/\/[^\s]+$/, {
    error: 'expected an http:// or https:// URL like "http://127.0.0.1/"',
  }).describe("URL to request (GET); passed to curl on stdin, never in argv."),
  status: z.int().min(100).max(599).default(200).describe("Expected HTTP status code."),
  body: z.string().min(1).optional()
    .describe("Text the response body must contain."),
  ...attempts,
});

/** A command that must exit 0. */
export const commandCheckSchema = z.strictObject({
  command: z.array(z.string().min(1)).min(1, { error: "expected a non-empty argv list" })
    .describe("Program and arguments (argv, no shell); the check passes when it exits 0."),
  ...attempts,
});

/** A systemd unit that must be active and not restarting. */
export const serviceCheckSchema = z.strictObject({
  service: z.string().regex(/^[A-Za-z0-9:_.@-]+$/, {
    error: 'expected a unit name like "nginx" or "php8.2-fpm.service"',
  }).describe("Unit that must be active; its restart counter must not move."),
  settle: seconds(0, 60).default(1).describe(
    "Seconds between two looks at the unit: a unit that systemd restarted in between fails.",
  ),
  ...attempts,
});

/** A TCP port that must accept a connection. */
export const portCheckSchema = z.strictObject({
  port: z.int().min(1).max(65535).describe("TCP port that must accept a connection."),
  host: z.string().regex(/^[A-Za-z0-9.:-]+$/, { error: "expected a host name or IP address" })
    .default("127.0.0.1").describe("Host to connect to."),
  ...attempts,
});

const KINDS = {
  http: httpCheckSchema,
  command: commandCheckSchema,
  service: serviceCheckSchema,
  port: portCheckSchema,
} as const;

/** One health check: the kind is the one of `http`, `command`, `service`, `port` it has. */
export const healthCheckSchema = z.union(Object.values(KINDS), {
  error: (issue) => {
    const input = issue.input;
    const keys = input && typeof input === "object" ? Object.keys(input) : [];
    const kinds = keys.filter((k) => k in KINDS);
    if (kinds.length > 1) return `expected one check kind per item (${kinds.join(" and ")} given)`;
    if (kinds.length === 0) return "expected a check with one of http, command, service, port";
    return undefined;
  },
}).describe("One check; a failed check after a change triggers rollback.");

/** The `health:` section: checks run after every apply that changed something. */
export const healthSchema = z.array(healthCheckSchema)
  .describe("Health checks run after every apply that changed something, and by cm health.");

/** A health check after validation (defaults filled in). */
export type HealthCheck = z.infer<typeof healthCheckSchema>;
