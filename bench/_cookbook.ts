/**
 * The benchmark cookbooks, shared by bench/noop.ts and bench/profile.ts: N
 * managed files with inline content and mode "0644" in a temp tree, plus
 * packages that are installed on this machine (from `dpkg-query -W`).
 *
 * @module
 */

const decoder = new TextDecoder();

/** Installed on every Debian/Ubuntu (Essential or nearly); filled up from dpkg-query -W. */
const PREFERRED = [
  "bash",
  "coreutils",
  "dash",
  "diffutils",
  "dpkg",
  "findutils",
  "grep",
  "gzip",
  "hostname",
  "login",
  "sed",
  "tar",
  "util-linux",
  "base-files",
  "base-passwd",
  "debianutils",
  "bsdutils",
  "mawk",
  "ncurses-bin",
  "apt",
  "perl-base",
  "sysvinit-utils",
  "libc-bin",
  "init-system-helpers",
];

/** `count` installed packages, Essential ones first, each printed once by dpkg-query. */
export async function installedPackages(count: number): Promise<string[]> {
  const out = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f", "${Package}\\t${db:Status-Abbrev}\\n"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (out.code !== 0) throw new Error("dpkg-query -W failed: the benchmark needs dpkg");
  const seen = new Map<string, number>();
  for (const line of decoder.decode(out.stdout).split("\n")) {
    const [name, abbrev] = line.split("\t");
    // Multi-arch packages print once per architecture; keep the ones printed once.
    if (name && abbrev?.startsWith("ii")) seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  const ok = (n: string) => seen.get(n) === 1 && /^[a-z0-9][a-z0-9+.-]+$/.test(n);
  const chosen = PREFERRED.filter(ok);
  for (const name of [...seen.keys()].sort()) {
    if (chosen.length >= count) break;
    if (ok(name) && !chosen.includes(name)) chosen.push(name);
  }
  return chosen.slice(0, count);
}

/** One generated cookbook and what the floor needs to check the same files. */
export interface Fixture {
  size: number;
  cookbook: string;
  list: string;
  stateDir: string;
  cookbookBytes: number;
}

/** The lines of bench file `i`: about `bytes` bytes of "key = value" settings. */
export function contentOf(i: number, bytes: number): string[] {
  const lines = [`# managed by cm (bench file ${i})`];
  let n = lines[0].length + 1;
  for (let k = 0; n < bytes; k++) {
    const line = `setting_${k} = value-${i}-${k}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines;
}

/** Writes the cookbook, the floor's file list, and the (unmanaged) directories of the tree. */
export function generate(root: string, size: number, packages: string[], bytes: number): Fixture {
  const dir = `${root}/n${size}`;
  const tree = `${dir}/tree`;
  const paths: string[] = [];
  const yaml: string[] = [
    `name: bench-${size}`,
    `description: no-op benchmark, ${size} files and ${packages.length} installed packages`,
    "install:",
    "  install:",
    ...packages.flatMap((p) => [`    - package: ${p}`, "      state: present"]),
  ];
  if (size > 0) yaml.push("configure:", "  files:");
  for (let i = 0; i < size; i++) {
    const sub = `${tree}/d${String(Math.floor(i / 100)).padStart(3, "0")}`;
    if (i % 100 === 0) Deno.mkdirSync(sub, { recursive: true });
    const path = `${sub}/f${i}.conf`;
    paths.push(path);
    yaml.push(
      `    - path: ${path}`,
      `      mode: "0644"`,
      `      content: |`,
      ...contentOf(i, bytes).map((l) => `        ${l}`),
    );
  }
  Deno.mkdirSync(dir, { recursive: true });
  const cookbook = `${dir}/bench.yaml`;
  const text = yaml.join("\n") + "\n";
  Deno.writeTextFileSync(cookbook, text);
  const list = `${dir}/files.txt`;
  Deno.writeTextFileSync(list, paths.join("\n") + (paths.length ? "\n" : ""));
  return { size, cookbook, list, stateDir: `${dir}/state`, cookbookBytes: text.length };
}
