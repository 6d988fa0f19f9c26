/**
 * The tools bench/compare.ts runs side by side, each given the same
 * {@link Desired} state in its own language: cm (a cookbook), ansible-core
 * (a local playbook), Puppet (`puppet apply` of a manifest), BundleWrap (a
 * repository whose one node is this machine), and the floor (the least work
 * for the same result, bench/floor.ts). Every tool keeps its working files,
 * caches and temp files under the benchmark's temp directory.
 *
 * @module
 */
import type { RunSpec, Sample } from "../_stats.ts";
import type { Workload } from "./_workloads.ts";

/** What every tool's run needs from the benchmark. */
export interface Context {
  /** HOME of every tool: their caches and temp files stay in the benchmark's temp dir. */
  home: string;
  /** Deno's cache directory (`deno info --json`'s denoDir). */
  denoDir: string;
  /** Directory of the ssh and scp stand-ins BundleWrap runs (see {@link writeShims}). */
  shim: string;
  /** The argv that runs cm with `args`. */
  cm: (args: string[]) => string[];
  /** bench/floor.ts. */
  floorScript: string;
  /** An empty .ts file: the start-up floor. */
  emptyProgram: string;
}

/** A run's outcome as the tool reports it. */
export interface Verdict {
  ok: boolean;
  /** Whether the run changed the machine; null when the tool does not say. */
  changed: boolean | null;
}

export interface Tool {
  id: string;
  label: string;
  /** The Debian packages that install it (none: always there). */
  debian: string[];
  /** A program that is on PATH once it is installed. */
  program: string;
  /** The argv that prints its version (on its first line). */
  version(ctx: Context): string[];
  /** Writes what the tool reads for `w` into `dir`; how to run it, or null: not applicable. */
  render(w: Workload, dir: string, ctx: Context): RunSpec | null;
  verdict(sample: Sample): Verdict;
  /** Before a first-converge run: forgets what its earlier runs left in `dir`. */
  reset?(dir: string): void;
}

function env(ctx: Context, path = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin") {
  // DENO_DIR: cm and the floor run from deno's module cache (no network), wherever HOME is.
  return { PATH: path, HOME: ctx.home, LANG: "C.UTF-8", LC_ALL: "C.UTF-8", DENO_DIR: ctx.denoDir };
}

/** Exit codes of `--detailed-exitcodes` (cm and Puppet): 0 nothing changed, 2 changes. */
function detailed(sample: Sample): Verdict {
  return { ok: sample.code === 0 || sample.code === 2, changed: sample.code === 2 };
}

const quote = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

// ---------------------------------------------------------------- cm

function cookbook(w: Workload): string {
  const { files, packages, markers } = w.desired;
  const lines = [`name: bench-${w.id}`];
  if (markers.length || packages.length) lines.push("install:");
  if (markers.length) {
    lines.push("  pre_install:");
    for (const m of markers) lines.push(`    - command: touch ${m}`, `      unless: test -e ${m}`);
  }
  if (packages.length) {
    lines.push("  install:");
    for (const p of packages) lines.push(`    - package: ${p}`, "      state: present");
  }
  if (files.length) lines.push("configure:", "  files:");
  for (const f of files) {
    lines.push(`    - path: ${f.path}`, `      mode: "0644"`, "      content: |");
    for (const line of f.content.slice(0, -1).split("\n")) lines.push(`        ${line}`);
  }
  return lines.join("\n") + "\n";
}

const cm: Tool = {
  id: "cm",
  label: "cm",
  debian: [],
  program: "deno",
  version: (ctx) => ctx.cm(["--version"]),
  render(w, dir, ctx) {
    Deno.writeTextFileSync(`${dir}/cookbook.yaml`, cookbook(w));
    const args = ["apply", "--detailed-exitcodes", "--state-dir", `${dir}/state`];
    return { argv: ctx.cm([...args, `${dir}/cookbook.yaml`]), env: env(ctx) };
  },
  verdict: detailed,
  reset(dir) {
    try {
      Deno.removeSync(`${dir}/state`, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
};

// ---------------------------------------------------------------- ansible-core

function playbook(w: Workload): string {
  const { files, packages, markers } = w.desired;
  const tasks: string[] = [];
  if (files.length) {
    tasks.push(
      "    - ansible.builtin.copy:",
      '        {dest: "{{ item.path }}", content: "{{ item.content }}", mode: "0644"}',
      '      loop: "{{ files }}"',
      '      loop_control: {label: "{{ item.path }}"}',
    );
  }
  if (packages.length) {
    tasks.push('    - ansible.builtin.apt: {name: "{{ packages }}", state: present}');
  }
  if (markers.length) {
    // ansible's command has no `unless`: `creates` is its guard.
    tasks.push(
      '    - ansible.builtin.command: {cmd: "touch {{ item }}", creates: "{{ item }}"}',
      '      loop: "{{ markers }}"',
    );
  }
  return [
    "- hosts: localhost",
    "  gather_facts: false",
    "  vars_files: [vars.json]",
    tasks.length ? "  tasks:" : "  tasks: []",
    ...tasks,
  ].join("\n") + "\n";
}

const ansible: Tool = {
  id: "ansible",
  label: "ansible-core",
  debian: ["ansible-core"],
  program: "ansible-playbook",
  version: () => ["ansible-playbook", "--version"],
  render(w, dir, ctx) {
    Deno.writeTextFileSync(`${dir}/vars.json`, JSON.stringify(w.desired));
    Deno.writeTextFileSync(`${dir}/play.yml`, playbook(w));
    return {
      argv: ["ansible-playbook", "-i", "localhost,", "-c", "local", `${dir}/play.yml`],
      env: {
        ...env(ctx),
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_LOCALHOST_WARNING: "0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING: "0",
        ANSIBLE_RETRY_FILES_ENABLED: "0",
      },
      cwd: dir,
    };
  },
  verdict(sample) {
    const recap = /changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(sample.output);
    // A play without tasks never reaches the host: its recap is empty.
    if (!recap) {
      return {
        ok: sample.code === 0 && /PLAY RECAP \**$/.test(sample.output.trim()),
        changed: false,
      };
    }
    const [changed, unreachable, failed] = recap.slice(1).map(Number);
    return { ok: sample.code === 0 && !unreachable && !failed, changed: changed > 0 };
  },
};

// ---------------------------------------------------------------- Puppet

const puppetString = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function manifest(w: Workload): string {
  const { files, packages, markers } = w.desired;
  const lines = files.map((f) =>
    `file { ${puppetString(f.path)}: ensure => file, content => ${
      puppetString(f.content)
    }, mode => '0644' }`
  );
  if (packages.length) {
    lines.push(`package { [${packages.map(puppetString).join(", ")}]: ensure => installed }`);
  }
  for (const m of markers) {
    lines.push(
      `exec { ${puppetString(m)}: command => ${puppetString(`touch ${quote(m)}`)}, unless => ${
        puppetString(`test -e ${quote(m)}`)
      }, path => ['/usr/bin', '/bin'] }`,
    );
  }
  return lines.join("\n") + "\n";
}

const puppet: Tool = {
  id: "puppet",
  label: "Puppet",
  debian: ["puppet"],
  program: "puppet",
  version: () => ["puppet", "--version"],
  render(w, dir, ctx) {
    Deno.writeTextFileSync(`${dir}/manifest.pp`, manifest(w));
    const dirs = ["confdir", "vardir", "codedir", "logdir", "rundir", "publicdir"]
      .map((name) => `--${name}=${dir}/${name}`);
    return {
      argv: ["puppet", "apply", "--detailed-exitcodes", "--color=false", ...dirs, "manifest.pp"],
      env: env(ctx),
      cwd: dir,
    };
  },
  verdict: detailed,
};

// ---------------------------------------------------------------- BundleWrap

/** A Python literal for plain JSON data (strings, lists, dicts only). */
const py = (value: unknown) => JSON.stringify(value);

function items(w: Workload): string {
  const { files, packages, markers } = w.desired;
  return [
    `files = ${
      py(Object.fromEntries(files.map((f) => [f.path, { content: f.content, mode: "0644" }])))
    }`,
    `pkg_apt = ${py(Object.fromEntries(packages.map((p) => [p, {}])))}`,
    `actions = ${
      py(Object.fromEntries(markers.map((m, i) => [
        `m${i}`,
        { command: `touch ${quote(m)}`, unless: `test -e ${quote(m)}` },
      ])))
    }`,
  ].join("\n") + "\n";
}

const bundlewrap: Tool = {
  id: "bundlewrap",
  label: "BundleWrap",
  debian: ["bundlewrap"],
  program: "bw",
  version: () => ["bw", "--version"],
  render(w, dir, ctx) {
    const repo = `${dir}/repo`;
    Deno.mkdirSync(`${repo}/bundles/bench`, { recursive: true });
    const node = {
      hostname: "localhost",
      os: "debian",
      bundles: ["bench"],
      // Already root: no sudo (often not even installed).
      cmd_wrapper_outer: "sh -c {0}",
    };
    Deno.writeTextFileSync(`${repo}/nodes.py`, `nodes = ${py({ localhost: node })}\n`);
    Deno.writeTextFileSync(`${repo}/groups.py`, "groups = {}\n");
    Deno.writeTextFileSync(`${repo}/bundles/bench/items.py`, items(w));
    const path = `${ctx.shim}:${env(ctx).PATH}`;
    return { argv: ["bw", "apply", "localhost"], env: env(ctx, path), cwd: repo };
  },
  verdict(sample) {
    const fixed = /(\d+) fixed, \d+ skipped, (\d+) failed/.exec(sample.output);
    if (!fixed) {
      return { ok: sample.code === 0 && /has no items/.test(sample.output), changed: false };
    }
    return { ok: sample.code === 0 && fixed[2] === "0", changed: fixed[1] !== "0" };
  },
};

/**
 * BundleWrap reaches a node only through `ssh` and `scp`; these stand-ins,
 * first on its PATH, run the command and copy the file on this machine
 * instead, in $HOME like an ssh login would. No sshd, no network.
 */
export function writeShims(shim: string): void {
  Deno.mkdirSync(shim, { recursive: true });
  const options = (withArg: string) =>
    `while [ $# -gt 0 ]; do case "$1" in ${withArg}) shift 2;; -*) shift;; *) break;; esac; done`;
  const scripts = {
    ssh: [options("-o|-l|-p"), "shift # the host", 'cd "$HOME" && exec /bin/sh -c "$*"'],
    scp: [options("-o|-P"), 'cd "$HOME" && exec cp -- "$1" "${2#*:}"'],
  };
  for (const [name, body] of Object.entries(scripts)) {
    const text = [
      "#!/bin/sh",
      `# ${name} stand-in of bench/compare.ts: this machine only`,
      ...body,
    ];
    Deno.writeTextFileSync(`${shim}/${name}`, text.join("\n") + "\n", { mode: 0o755 });
  }
}

// ---------------------------------------------------------------- the floor

const floor: Tool = {
  id: "floor",
  label: "floor",
  debian: [],
  program: "deno",
  version: () => [Deno.execPath(), "--version"],
  render(w, dir, ctx) {
    const deno = [Deno.execPath(), "run", "--quiet"];
    const run = (args: string[]) => ({
      argv: [...deno, "-A", ctx.floorScript, ...args],
      env: env(ctx),
    });
    const list = `${dir}/files.txt`;
    Deno.writeTextFileSync(list, w.desired.files.map((f) => f.path).join("\n") + "\n");
    switch (w.floor) {
      case "empty program":
        return { argv: [...deno, ctx.emptyProgram], env: env(ctx) };
      case "read":
        return run([list]);
      case "dpkg-query":
        return run([list, "--dpkg", w.desired.packages.join(",")]);
      case "write":
        Deno.writeTextFileSync(`${dir}/desired.json`, JSON.stringify(w.desired));
        return run(["--write", `${dir}/desired.json`]);
      default:
        return null;
    }
  },
  verdict: (sample) => ({ ok: sample.code === 0, changed: null }),
};

/** Every tool, cm first and the floor last. */
export const TOOLS: Tool[] = [cm, ansible, puppet, bundlewrap, floor];
