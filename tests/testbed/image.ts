/**
 * The Debian bookworm image every testbed server boots from: built once with
 * debootstrap, cached on the machine, never modified after it is published.
 *
 * @module
 */
import { exists, requireTools, run, SYSTEM_PATH, unmountBelow } from "./_run.ts";

/** Bump when the build recipe below changes, so machines rebuild instead of reusing a stale image. */
export const IMAGE_NAME = "bookworm-v2";

/** Where images are cached between runs (override with `CM_TESTBED_CACHE`). */
export const CACHE_DIR = Deno.env.get("CM_TESTBED_CACHE") ?? "/var/cache/cm-testbed";

const PACKAGES = ["systemd", "systemd-sysv", "dbus", "ca-certificates", "curl", "git", "iproute2"];

/**
 * Units masked in the image: timers that take the dpkg lock or do background
 * work while a test runs, and units that only slow the boot of a container.
 */
export const MASKED_UNITS = [
  "apt-daily.timer",
  "apt-daily-upgrade.timer",
  "apt-daily.service",
  "apt-daily-upgrade.service",
  "dpkg-db-backup.timer",
  "dpkg-db-backup.service",
  "e2scrub_all.timer",
  "e2scrub_reap.service",
  "fstrim.timer",
  "man-db.timer",
  "systemd-tmpfiles-clean.timer",
  "systemd-networkd-wait-online.service",
];

const HOSTS = `127.0.0.1\tlocalhost
::1\t\tlocalhost ip6-localhost ip6-loopback
ff02::1\t\tip6-allnodes
ff02::2\t\tip6-allrouters
`;

/** The Debian mirrors found in the host's apt sources. */
export interface Mirrors {
  /** Main archive, e.g. `http://deb.debian.org/debian`. */
  archive: string;
  /** Security archive, e.g. `http://deb.debian.org/debian-security`, when the host has one. */
  security?: string;
}

interface Source {
  uri: string;
  suites: string[];
}

const CODENAMES =
  /^(buster|bullseye|bookworm|trixie|forky|sid|(old)*stable|testing|unstable)(-updates|-backports|-proposed-updates)?$/;

/**
 * Finds the Debian archive and security mirrors in apt sources. `files` maps a
 * file name to its text; names ending in `.sources` are deb822, `.list` are
 * one-line `deb [opts] URL suite components` entries; others are ignored.
 */
export function parseMirrors(files: Record<string, string>): Mirrors | undefined {
  const sources: Source[] = [];
  for (const [name, text] of Object.entries(files)) {
    if (name.endsWith(".sources")) sources.push(...parseDeb822(text));
    else if (name.endsWith(".list")) sources.push(...parseOneLine(text));
  }
  const strip = (u: string) => u.replace(/\/+$/, "");
  const archive = sources.find((s) => s.suites.some((x) => CODENAMES.test(x)));
  const security = sources.find((s) =>
    s.suites.some((x) => /-security$|^[a-z]+\/updates$/.test(x))
  );
  if (!archive) return undefined;
  return { archive: strip(archive.uri), ...(security ? { security: strip(security.uri) } : {}) };
}

function parseDeb822(text: string): Source[] {
  const out: Source[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of stanza.split("\n")) {
      const m = line.match(/^([A-Za-z-]+):\s*(.*)$/);
      if (m) fields[m[1].toLowerCase()] = m[2].trim();
    }
    if (!(fields.types ?? "").split(/\s+/).includes("deb")) continue;
    if (/^(no|false|0)$/i.test(fields.enabled ?? "")) continue;
    const suites = (fields.suites ?? "").split(/\s+/).filter(Boolean);
    for (const uri of (fields.uris ?? "").split(/\s+/).filter(Boolean)) out.push({ uri, suites });
  }
  return out;
}

function parseOneLine(text: string): Source[] {
  const out: Source[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").replace(/\[[^\]]*\]/, " ").trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === "deb" && uri && suite) out.push({ uri, suites: [suite] });
  }
  return out;
}

/** Reads the host's apt sources (/etc/apt/sources.list and /etc/apt/sources.list.d/). */
export async function hostMirrors(): Promise<Mirrors> {
  const files: Record<string, string> = {};
  const read = async (path: string) => {
    try {
      files[path] = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  };
  await read("/etc/apt/sources.list");
  try {
    for await (const e of Deno.readDir("/etc/apt/sources.list.d")) {
      await read(`/etc/apt/sources.list.d/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const mirrors = parseMirrors(files);
  if (!mirrors) {
    throw new Error(
      "No Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources: " +
        "the testbed image is built from the host's mirror (a `URIs:` line or `deb URL suite` line)",
    );
  }
  return mirrors;
}

/** The apt sources.list written into the image. */
export function imageSourcesList(m: Mirrors): string {
  return [
    `deb ${m.archive} bookworm main`,
    `deb ${m.archive} bookworm-updates main`,
    ...(m.security ? [`deb ${m.security} bookworm-security main`] : []),
    "",
  ].join("\n");
}

/** Options for {@linkcode ensureImage}. */
export interface ImageOptions {
  /** Cache directory (default {@linkcode CACHE_DIR}). */
  cacheDir?: string;
  /** Called with progress lines (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Returns the path of the cached bookworm image, building it first when the
 * machine has none. Safe when several test processes call it at once: they
 * wait on a lock file, and a build is published by an atomic rename, so an
 * interrupted build is never reused.
 */
export async function ensureImage(opts: ImageOptions = {}): Promise<string> {
  const cacheDir = opts.cacheDir ?? CACHE_DIR;
  const final = `${cacheDir}/${IMAGE_NAME}`;
  if (await exists(`${final}/usr/lib/os-release`)) return final;
  requireTools(["debootstrap", "chroot"]);
  const log = opts.log ?? ((l: string) => console.error(`[testbed] ${l}`));
  await Deno.mkdir(cacheDir, { recursive: true });
  const lock = await Deno.open(`${cacheDir}/.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    if (await exists(`${final}/usr/lib/os-release`)) return final; // another process built it
    // Only builders hold the lock, so any temp dir left now is from an interrupted build.
    for await (const e of Deno.readDir(cacheDir)) {
      if (e.name.startsWith(`${IMAGE_NAME}.tmp-`)) {
        log(`removing interrupted build ${cacheDir}/${e.name}`);
        // debootstrap mounts /proc and /sys in its target: never recurse into those.
        await unmountBelow(`${cacheDir}/${e.name}`);
        await Deno.remove(`${cacheDir}/${e.name}`, { recursive: true })
          .catch((err) => log(`could not remove ${cacheDir}/${e.name}: ${err.message}`));
      }
    }
    const tmp = `${cacheDir}/${IMAGE_NAME}.tmp-${Deno.pid}`;
    const started = performance.now();
    await buildImage(tmp, await hostMirrors(), log);
    await Deno.rename(tmp, final);
    log(`image ${final} built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return final;
  } finally {
    lock.close(); // also releases the lock
  }
}

async function buildImage(dir: string, mirrors: Mirrors, log: (l: string) => void): Promise<void> {
  log(`debootstrap bookworm from ${mirrors.archive} into ${dir} (once per machine, ~40 s)`);
  const argv = [
    "debootstrap",
    "--variant=minbase",
    `--include=${PACKAGES.join(",")}`,
    "bookworm",
    dir,
    mirrors.archive,
  ];
  const r = await run(argv);
  if (r.code !== 0) {
    const logTail = await Deno.readTextFile(`${dir}/debootstrap/debootstrap.log`)
      .then((t) => t.split("\n").slice(-20).join("\n"), () => "");
    throw new Error(
      `Building the testbed image failed: ${JSON.stringify(argv)} exited ${r.code}: ` +
        `${r.stderr.trim().split("\n").slice(-10).join("\n")}\n${logTail}`,
    );
  }
  await Deno.writeTextFile(`${dir}/etc/apt/sources.list`, imageSourcesList(mirrors));
  // No static hostname: each server's hostname is its machine name (set by nspawn).
  await Deno.remove(`${dir}/etc/hostname`).catch(() => {});
  await Deno.writeTextFile(`${dir}/etc/hosts`, HOSTS);
  // Empty machine-id: systemd makes a fresh one on every boot, so no two servers share one.
  await Deno.writeTextFile(`${dir}/etc/machine-id`, "");
  await Deno.remove(`${dir}/var/lib/dbus/machine-id`).catch(() => {});
  for (const unit of MASKED_UNITS) {
    const link = `${dir}/etc/systemd/system/${unit}`;
    await Deno.remove(link).catch(() => {});
    await Deno.symlink("/dev/null", link);
  }
  // Fetch package lists once here, so each test does not pay for `apt-get update`.
  log("apt-get update inside the image");
  await run([
    "chroot",
    dir,
    "env",
    "-i",
    `PATH=${SYSTEM_PATH}`,
    "LANG=C.UTF-8",
    "apt-get",
    "update",
  ], {
    check: true,
  });
  await run(["chroot", dir, "apt-get", "clean"], { check: true });
}
