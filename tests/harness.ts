/**
 * Runs cm as a process, exactly as shipped: `deno run` with the compile
 * permission flags of src/permissions.ts.
 *
 * @module
 */
import { cmCommand } from "../scripts/cm_command.ts";
import { withStdin } from "../src/_testing.ts";
export { tempDir } from "../src/_testing.ts";

/**
 * The environment every cm a test starts gets: CM_CONFIG naming a node
 * configuration that sets nothing, so the host's own
 * (/etc/config-manager/config.yaml) never reaches a test.
 */
export const TEST_ENV: Readonly<Record<string, string>> = {
  CM_CONFIG: new URL("testdata/no_node_config.yaml", import.meta.url).pathname,
};

/** What a cm run printed and its exit code. */
export interface CmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cm ...args`; `env` is added to a clean environment (PATH, HOME and
 * {@link TEST_ENV}).
 */
export async function runCm(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CmResult> {
  const [bin, ...rest] = cmCommand(args);
  const { code, stdout, stderr } = await new Deno.Command(bin, {
    args: rest,
    cwd: options.cwd,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...TEST_ENV,
      ...options.env,
    },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** `promtool check metrics` (Debian's prometheus package) on a metrics text: its exit code and complaints. */
export async function promtoolCheck(text: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await withStdin("promtool", ["check", "metrics"], text);
  return { code, stderr };
}
