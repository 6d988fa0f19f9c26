/**
 * Facts about the machine, computed only when a cookbook uses them. The
 * readers behind them (dpkg.ts, apt_cache.ts, systemd.ts, os.ts, passwd.ts,
 * php.ts) take only a {@link Probe}: reading a fact cannot change the machine.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { didYouMean } from "../text.ts";
import { readOsRelease } from "./os.ts";
import { phpVersion } from "./php.ts";

/** The names `{{ facts.NAME }}` accepts, with what each means. */
export const FACTS: Record<string, string> = {
  hostname: "short host name",
  fqdn: "fully qualified domain name (hostname --fqdn)",
  "os.id": "distribution id from /etc/os-release: debian, ubuntu",
  "os.version_id": "distribution version: 12, 24.04",
  "os.codename": "distribution code name: bookworm, noble",
  cpu_count: "number of CPUs",
  memory_mb: "total memory in MiB",
  ipv4: "first non-loopback IPv4 address",
  ipv4_all: "all non-loopback IPv4 addresses, space separated",
  ipv6_all: "all non-loopback IPv6 addresses, space separated",
  php_version: "PHP version installed, else the one apt would install: 8.2, 8.3",
};

/** The facts that are whole numbers (counts); every other fact is text. */
export const COUNT_FACTS: ReadonlySet<string> = new Set(["cpu_count", "memory_mb"]);

/**
 * The message for a `{{ facts.NAME }}` that is not a fact, with a did-you-mean;
 * a name under a group (`os.name`) is compared with that group's facts only.
 */
export function unknownFact(name: string): string {
  const group = name.includes(".") ? name.slice(0, name.lastIndexOf(".") + 1) : "";
  const siblings = Object.keys(FACTS).filter((f) => group && f.startsWith(group));
  const guess = didYouMean(name, siblings.length ? siblings : Object.keys(FACTS));
  const among = siblings.map((f) => `"facts.${f}"`).join(", ");
  const hint = guess
    ? `; did you mean "facts.${guess}"?`
    : siblings.length
    ? `; did you mean one of ${among}?`
    : "";
  return `unknown fact "facts.${name}"${hint} (facts: ${Object.keys(FACTS).join(", ")})`;
}

function addresses(family: "IPv4" | "IPv6"): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === family && !i.address.startsWith("127.") && i.address !== "::1")
    .map((i) => i.address);
}

async function fqdn(probe: Probe): Promise<string> {
  const result = await probe.run(["hostname", "--fqdn"]);
  return result.code === 0 && result.stdout.trim() ? result.stdout.trim() : Deno.hostname();
}

const COMPUTE: Record<string, (probe: Probe) => unknown> = {
  hostname: () => Deno.hostname().split(".")[0],
  fqdn,
  "os.id": (probe) => readOsRelease(probe).ID ?? "unknown",
  "os.version_id": (probe) => readOsRelease(probe).VERSION_ID ?? "unknown",
  "os.codename": (probe) => readOsRelease(probe).VERSION_CODENAME ?? "unknown",
  cpu_count: () => navigator.hardwareConcurrency,
  // Deno refuses reads of /proc/meminfo without --allow-all; the sys permission is narrower.
  memory_mb: () => Math.round(Deno.systemMemoryInfo().total / 1024 / 1024),
  ipv4: () => addresses("IPv4")[0] ?? "127.0.0.1",
  ipv4_all: () => addresses("IPv4").join(" "),
  ipv6_all: () => addresses("IPv6").join(" "),
  php_version: phpVersion,
};

/**
 * Returns a function that computes one fact by name, once (cached). Unknown
 * names and facts that cannot be determined reject with an Error whose
 * message says why.
 */
export function factReader(probe: Probe): (name: string) => Promise<unknown> {
  const cache = new Map<string, Promise<unknown>>();
  return (name) => {
    if (!cache.has(name)) {
      const compute = COMPUTE[name];
      cache.set(
        name,
        compute
          ? Promise.resolve().then(() => compute(probe))
          : Promise.reject(new Error(unknownFact(name))),
      );
    }
    return cache.get(name)!;
  };
}
