/**
 * Test bed for end-to-end tests: throw-away Debian bookworm servers with
 * systemd as PID 1, booted with systemd-nspawn from a cached image.
 *
 * ```ts ignore
 * await using srv = await bootServer();
 * await srv.exec(["apt-get", "install", "-y", "nginx"], { check: true });
 * ```
 *
 * @module
 */
export {
  bootServer,
  cleanupStale,
  type ExecOptions,
  RUN_DIR,
  Server,
  SERVER_ENV,
  type ServerOptions,
} from "./server.ts";
export {
  CACHE_DIR,
  ensureImage,
  hostMirrors,
  IMAGE_NAME,
  type ImageOptions,
  type Mirrors,
  parseMirrors,
} from "./image.ts";
export type { RunResult } from "./_run.ts";
