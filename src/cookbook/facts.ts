/**
 * Facts about the machine, computed only when a cookbook uses them.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { compareVersions, statusOf } from "../../resources/_apt.ts";
import { didYouMean } from "../text.ts";

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

const decoder = new TextDecoder();

/** The message for a `{{ facts.NAME }}` that is not a fact, with a did-you-mean. */
export function unknownFact(name: string): string {
  const guess = didYouMean(name, Object.keys(FACTS));
  return `unknown fact "facts.${name}"${guess ? `; did you mean "facts.${guess}"?` : ""} (facts: ${
    Object.keys(FACTS).join(", ")
  })`;
}

function osRelease(probe: Probe): Record<string, string> {
  const data = probe.readFile("/etc/os-release") ?? probe.readFile("/usr/lib/os-release");
  const fields: Record<string, string> = {};
  for (const line of decoder.decode(data ?? new Uint8Array()).split("\n")) {
    const match = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
    if (match) fields[match[1]] = match[3];
  }
  return fields;
}

function addresses(family: "IPv4" | "IPv6"): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === family && !i.address.startsWith("127.") && i.address !== "::1")
    .map((i) => i.address);
}

/**
 * The highest PHP version among installed `phpX.Y-*` packages in dpkg-query
 * output (status abbreviation, tab, name): removed packages whose
 * configuration files remain ("rc") do not count.
 */
function installedPhp(stdout: string): string | undefined {
  const versions = stdout.split("\n").flatMap((line) => {
    const [abbrev, name] = line.split("\t");
    const php = /^php(\d+\.\d+)-/.exec(name ?? "");
    return php && statusOf(abbrev) === "installed" ? [php[1]] : [];
  });
  return versions.sort(compareVersions).at(-1);
}

async function phpVersion(probe: Probe): Promise<string> {
  const installed = await probe.run([
    "dpkg-query",
    "-W",
    "-f",
    "${db:Status-Abbrev}\t${Package}\n",
    "php*-fpm",
    "php*-cli",
  ]);
  // Exit code 1: one pattern matched nothing (a CLI without FPM); the rest is still right.
  const fromDpkg = installed.code === 0 || installed.code === 1
    ? installedPhp(installed.stdout)
    : undefined;
  if (fromDpkg) return fromDpkg;
  const policy = await probe.run(["apt-cache", "policy", "php"]);
  const candidate = /Candidate:\s*(?:\d+:)?(\d+\.\d+)\+/.exec(policy.stdout);
  if (candidate) return candidate[1];
  // A fresh machine often has empty apt lists (cloud and container images): the
  // package resource runs apt-get update before installing, but facts are read
  // before that, so fall back to the release's own PHP.
  const os = osRelease(probe);
  const release = RELEASE_PHP[`${os.ID} ${os.VERSION_ID}`];
  if (release) return release;
  throw new Error(
    `PHP is not installed, apt has no candidate for package "php" (run apt-get update?) and ${
      os.ID ?? "this system"
    } ${os.VERSION_ID ?? ""} is not a release whose PHP version cm knows`.replace(/ {2,}/, " "),
  );
}

/** The PHP version each release ships, for machines whose apt lists are still empty. */
export const RELEASE_PHP: Record<string, string> = {
  "debian 11": "7.4",
  "debian 12": "8.2",
  "debian 13": "8.4",
  "ubuntu 20.04": "7.4",
  "ubuntu 22.04": "8.1",
  "ubuntu 24.04": "8.3",
};

/**
 * Returns a function that computes one fact by name (cached). Unknown names
 * and facts that cannot be determined throw an Error with a message.
 */
export function factReader(probe: Probe): (name: string) => Promise<unknown> {
  const cache = new Map<string, Promise<unknown>>();
  const compute = async (name: string): Promise<unknown> => {
    switch (name) {
      case "hostname":
        return Deno.hostname().split(".")[0];
      case "fqdn": {
        const result = await probe.run(["hostname", "--fqdn"]);
        return result.code === 0 && result.stdout.trim() ? result.stdout.trim() : Deno.hostname();
      }
      case "os.id":
        return osRelease(probe).ID ?? "unknown";
      case "os.version_id":
        return osRelease(probe).VERSION_ID ?? "unknown";
      case "os.codename":
        return osRelease(probe).VERSION_CODENAME ?? "unknown";
      case "cpu_count":
        return navigator.hardwareConcurrency;
      case "memory_mb": {
        const meminfo = decoder.decode(probe.readFile("/proc/meminfo") ?? new Uint8Array());
        return Math.round(Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024);
      }
      case "ipv4":
        return addresses("IPv4")[0] ?? "127.0.0.1";
      case "ipv4_all":
        return addresses("IPv4").join(" ");
      case "ipv6_all":
        return addresses("IPv6").join(" ");
      case "php_version":
        return await phpVersion(probe);
      default:
        throw new Error(unknownFact(name));
    }
  };
  return (name) => {
    if (!cache.has(name)) cache.set(name, compute(name));
    return cache.get(name)!;
  };
}
