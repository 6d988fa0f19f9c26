/**
 * Captures the real outputs the parser tests in src/facts/ read: from this
 * machine, from the cached bookworm test image, and from a booted test server
 * (for `systemctl show`). Run as root: `deno run -A scripts/capture_facts.ts`.
 * Review the outputs, then write each expected parse beside them.
 *
 * @module
 */
import { bootServer, ensureImage } from "../tests/testbed/mod.ts";

const dir = new URL("../src/facts/testdata/", import.meta.url).pathname;
const DPKG_FORMAT = "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n";

async function host(argv: string[]): Promise<string> {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout);
}

/** The stanzas of `names` in a dpkg status file, in file order. */
function stanzas(status: string, names: string[]): string {
  return Deno.readTextFileSync(status).split("\n\n")
    .filter((s) => names.includes(/^Package: (\S+)/.exec(s)?.[1] ?? ""))
    .map((s) => `${s}\n\n`).join("");
}

const image = await ensureImage();
const fixtures: Record<string, string> = {
  "os_release_host.txt": Deno.readTextFileSync("/etc/os-release"),
  "os_release_bookworm.txt": Deno.readTextFileSync(`${image}/usr/lib/os-release`),
  "passwd_host.txt": Deno.readTextFileSync("/etc/passwd"),
  "group_host.txt": Deno.readTextFileSync("/etc/group"),
  "passwd_bookworm.txt": Deno.readTextFileSync(`${image}/etc/passwd`),
  "group_bookworm.txt": Deno.readTextFileSync(`${image}/etc/group`),
  "dpkg_query_host.txt": await host(
    ["dpkg-query", "-W", "-f", DPKG_FORMAT, "bash", "base-files", "libc6", "no-such-package"],
  ),
  "dpkg_query_bookworm.txt": await host([
    "dpkg-query",
    `--admindir=${image}/var/lib/dpkg`,
    "-W",
    "-f",
    DPKG_FORMAT,
    "systemd",
    "dbus",
    "apt",
  ]),
  "dpkg_status_host.txt": stanzas("/var/lib/dpkg/status", ["bash", "base-files", "libc6"]),
  "dpkg_status_bookworm.txt": stanzas(`${image}/var/lib/dpkg/status`, ["systemd", "dbus", "apt"]),
  "apt_cache_policy_host.txt": await host([
    "apt-cache",
    "policy",
    "bash",
    "mawk",
    "no-such-package",
  ]),
  "apt_cache_showpkg_host.txt": await host(["apt-cache", "showpkg", "awk", "mawk"]),
};
{
  await using srv = await bootServer();
  const show = (props: string) =>
    srv.exec([
      "systemctl",
      "show",
      `--property=${props}`,
      "systemd-journald.service",
      "getty@tty1.service",
      "no-such-unit.service",
      "apt-daily.timer",
    ]);
  fixtures["systemctl_show_bookworm.txt"] =
    (await show("Id,LoadState,ActiveState,UnitFileState,SubState")).stdout;
  fixtures["systemctl_show_verify_bookworm.txt"] =
    (await show("Id,LoadState,ActiveState,SubState,Result,Type,NRestarts")).stdout;
}
for (const [name, text] of Object.entries(fixtures)) Deno.writeTextFileSync(`${dir}${name}`, text);
console.log(`wrote ${Object.keys(fixtures).length} fixtures to ${dir}`);
