/**
 * Helpers for this folder's tests that use real tools and real sockets.
 *
 * @module
 */
import { RealExecutor } from "../exec/real.ts";

/**
 * The path of `tool`, or an error naming the Debian package that provides it:
 * these tests fail, never skip, when a tool is missing.
 */
export async function requireTool(tool: string, debianPackage: string): Promise<string> {
  const found = await new RealExecutor().run(["sh", "-c", 'command -v -- "$1"', "sh", tool]);
  if (found.code !== 0) {
    throw new Error(
      `${tool} not found: install Debian's "${debianPackage}" package (sudo ./bootstrap.sh --dev)`,
    );
  }
  return found.stdout.trim();
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Calls `probe` every 100 ms until it returns a value, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | null>,
): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
