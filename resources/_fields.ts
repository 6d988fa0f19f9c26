/**
 * Field schemas shared by several resource kinds.
 *
 * @module
 */
import { z } from "zod";
import { NO_NUL } from "../src/exec/argv.ts";

/**
 * What is wrong with how an absolute path is written, if anything: "." or
 * ".." parts, "//", a trailing "/". Such a path would name the same file as
 * its normalised form under another resource id.
 */
function unnormalised(p: string): string | undefined {
  const parts = p.split("/");
  if (parts.some((part) => part === ".." || part === ".")) {
    return 'expected a normalised path without "." or ".." parts';
  }
  const fixed = `/${parts.filter(Boolean).join("/")}`;
  if (p.includes("//")) return `expected a normalised path without "//" (write "${fixed}")`;
  if (p.length > 1 && p.endsWith("/")) {
    return `expected a normalised path without a trailing "/" (write "${fixed}")`;
  }
  return undefined;
}

/** What a process argument cannot hold (cm would fail to spawn it): for text that reaches argv. */
export const noNul = z.refine<string>((s) => !s.includes("\0"), { error: NO_NUL });

/** An absolute, normalised path: `/etc/nginx/nginx.conf`. */
export const absolutePath = z.string({ error: "expected an absolute path" }).check(
  z.refine((p) => p.startsWith("/"), { error: 'expected an absolute path starting with "/"' }),
  z.refine((p) => !p.startsWith("/") || unnormalised(p) === undefined, {
    error: (issue) => unnormalised(issue.input as string),
  }),
  z.refine((p) => !p.includes("\0"), { error: "a path cannot contain a NUL byte" }),
);

/** A permission mode written as an octal string: "0644", "755", "2775". */
export const octalMode = z.string({
  error: (issue) =>
    typeof issue.input === "number"
      ? `expected a quoted octal mode like "0644" (unquoted, YAML reads a mode as a decimal number)`
      : `expected an octal mode string like "0644"`,
}).regex(/^0?[0-7]{3,4}$/, { error: 'expected an octal mode like "0644" (3 or 4 digits 0-7)' });

/** The largest id chown can set: 2^32-1 is (uid_t)-1, which chown reads as "leave it". */
const MAX_ID = 2 ** 32 - 2;

/** A user or group name (or a numeric id from 0 to {@link MAX_ID}). */
export const accountName = z.string().regex(/^([a-z_][a-z0-9_.-]*\$?|\d+)$/i, {
  error: 'expected a user or group name like "www-data"',
}).refine((name) => !/^\d+$/.test(name) || Number(name) <= MAX_ID, {
  error: `expected a numeric id from 0 to ${MAX_ID}`,
});

/** Ids of resources that must run first: `["package[nginx]", "file[/etc/x]"]`. */
export const requires = z.array(
  z.string().regex(/^[a-z_]+\[.+\]$/, { error: 'expected a resource id like "package[nginx]"' }),
).optional().describe("Resources that must be applied before this one, by id.");

/** A command line: a string (split like a shell would, without expansion) or an argv list. */
export const commandLine = z.union([
  z.string().min(1, { error: "expected a non-empty command" }),
  z.array(z.string()).min(1, { error: "expected a non-empty argv list" }),
], { error: "expected a command string or a list of arguments" });

/**
 * `z.enum(values)` whose message, for a value another tool uses (Ansible's
 * `state: latest`, Puppet's `running`), says what to write instead:
 * `expected one of "present", "absent", "purged" (to upgrade ...)`.
 */
export function enumWithHints<const T extends readonly [string, ...string[]]>(
  values: T,
  hints: Record<string, string>,
) {
  const hinted = new z.core.$ZodCheck({
    check: "custom",
    // Runs although the enum itself failed; only for the values with a hint.
    when: (payload) => typeof payload.value === "string" && Object.hasOwn(hints, payload.value),
  });
  hinted._zod.check = (payload) => {
    // Replace the enum's issue (its message is rebuilt from the values) with one that keeps the hint.
    const at = payload.issues.findIndex((issue) => issue.code === "invalid_value");
    if (at === -1) return;
    payload.issues.splice(at, 1, {
      code: "custom",
      message: `expected one of ${values.map((v) => `"${v}"`).join(", ")} (${
        hints[payload.value as string]
      })`,
      input: payload.value,
      inst: hinted,
    } as z.core.$ZodRawIssue);
  };
  return z.enum(values).check(hinted);
}
