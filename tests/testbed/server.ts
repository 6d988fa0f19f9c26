/**
 * Throw-away Debian servers for end-to-end tests: each one boots the cached
 * image (see image.ts) with systemd as PID 1 under systemd-nspawn, on an
 * overlay whose writable layer lives on a tmpfs, so every server starts fresh.
 *
 * Servers share the host's network (they bind host ports), so run them one at a time.
 *
 * @module
 */
import { ensureImage } from "./image.ts";
import {
  allSteps,
  exists,
  failure,
  mountsBelow,
  requireTools,
  run,
  type RunResult,
  SYSTEM_PATH,
  unmountBelow,
} from "./_run.ts";

/** Runtime state of live servers: one directory per server (override with `CM_TESTBED_RUN`). */
export const RUN_DIR = Deno.env.get("CM_TESTBED_RUN") ?? "/run/cm-testbed";

/** The environment every command inside a server starts from (nsenter would leak the host's). */
export const SERVER_ENV: Record<string, string> = {
  PATH: SYSTEM_PATH,
  HOME: "/root",
  LANG: "C.UTF-8",
};

/** Options for {@linkcode bootServer}. */
export interface ServerOptions {
  /** Machine name and hostname (default `cm-tb-<pid>-<n>`); must be unique on the host. */
  name?: string;
  /** Image directory (default: {@linkcode ensureImage}'s cached bookworm image). */
  image?: string;
  /** How long to wait for systemd to reach `running` (default 60 s). */
  bootTimeoutMs?: number;
  /** Accept a `degraded` system instead of throwing with the failed units (default false). */
  allowDegraded?: boolean;
  /** Size of the tmpfs holding the server's writable layer (default `8g`). */
  tmpfsSize?: string;
}

/** Options for {@linkcode Server.exec}. */
export interface ExecOptions {
  /** Text or bytes written to the command's stdin. */
  stdin?: string | Uint8Array;
  /** Variables added to {@linkcode SERVER_ENV}. */
  env?: Record<string, string>;
  /** Throw when the command exits non-zero (default false). */
  check?: boolean;
}

const CGROUP_ROOTS = cgroupRoots();
let counter = 0;

/**
 * Boots a fresh server and waits until systemd reports `running`.
 * Use with `await using srv = await bootServer();` so it is torn down even when the test fails.
 * Throws with what is missing when the machine cannot boot containers.
 */
export async function bootServer(opts: ServerOptions = {}): Promise<Server> {
  requireTools(["systemd-nspawn", "nsenter", "mount", "umount"]);
  if (CGROUP_ROOTS.length === 0) {
    throw new Error("The testbed needs a cgroup hierarchy: none found at /sys/fs/cgroup");
  }
  const image = opts.image ?? await ensureImage();
  if (!(await exists(`${image}/usr/lib/os-release`))) {
    throw new Error(`Image ${image} is not an OS tree (no usr/lib/os-release): cannot boot it`);
  }
  const name = opts.name ?? `cm-tb-${Deno.pid}-${++counter}`;
  const base = `${RUN_DIR}/${name}`;
  await acquireHost();
  try {
    await cleanupStale();
    await Deno.mkdir(base);
  } catch (e) {
    await releaseHost();
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    throw new Error(`A testbed server named "${name}" is already running (${base} exists)`);
  }
  const srv = new Server(name, base, opts);
  try {
    await Deno.writeTextFile(`${base}/owner`, `${Deno.pid}\n`);
    await Deno.mkdir(`${base}/layer`);
    await Deno.mkdir(srv.root);
    const tmpfs = `size=${opts.tmpfsSize ?? "8g"},mode=0755`;
    await run(["mount", "-t", "tmpfs", "-o", tmpfs, "cm-testbed", `${base}/layer`], {
      check: true,
    });
    await Deno.mkdir(`${base}/layer/upper`);
    await Deno.mkdir(`${base}/layer/work`);
    const layers = `lowerdir=${image},upperdir=${base}/layer/upper,workdir=${base}/layer/work`;
    await run(["mount", "-t", "overlay", "-o", layers, "cm-testbed", srv.root], { check: true });
    await srv.start();
    return srv;
  } catch (e) {
    if (e instanceof Error) e.message = `Booting server "${name}" failed: ${e.message}`;
    await srv.shutdown().catch((t) => {
      if (e instanceof Error) e.message += `\n(and tearing down failed too: ${t.message})`;
    });
    throw e;
  }
}

/** A booted throw-away server. Get one from {@linkcode bootServer}. */
export class Server implements AsyncDisposable {
  /**
   * Host path of the server's root filesystem: files written below it appear in
   * the server. Beware of absolute symlinks in the server (they resolve on the
   * host); {@linkcode Server.copyIn} and {@linkcode Server.writeFile} avoid that.
   */
  readonly root: string;
  #child?: Deno.ChildProcess;
  #status?: Promise<Deno.CommandStatus>;
  #init = 0;
  #down = false;

  /** @internal Use {@linkcode bootServer}. */
  constructor(readonly name: string, readonly base: string, readonly opts: ServerOptions) {
    this.root = `${base}/root`;
  }

  /** Host PID of the server's init (systemd), 0 when stopped. */
  get pid(): number {
    return this.#init;
  }

  /**
   * Runs `argv` inside the server (all its namespaces, a clean environment) and
   * returns its exit code and output; throws on non-zero only with `check`.
   */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (this.#init === 0) {
      throw new Error(`Server "${this.name}" is not running: cannot run ${JSON.stringify(argv)}`);
    }
    const env = Object.entries({ ...SERVER_ENV, ...opts.env }).map(([k, v]) => `${k}=${v}`);
    const r = await run([
      "nsenter",
      `--target=${this.#init}`,
      "--mount",
      "--uts",
      "--ipc",
      "--net",
      "--pid",
      "--",
      "env",
      "-i",
      ...env,
      ...argv,
    ], { stdin: opts.stdin });
    if (opts.check && r.code !== 0) {
      throw new Error(`In server "${this.name}": ${failure(argv, r)}`);
    }
    return r;
  }

  /** Writes `content` to `path` inside the server (parents created), with `mode` (default 0644). */
  async writeFile(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
    const script = 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"';
    await this.exec(["sh", "-c", script, "sh", path, mode.toString(8)], {
      stdin: content,
      check: true,
    });
  }

  /**
   * Copies a host file or directory to `pathInServer`, keeping modes. Goes
   * through the server's own filesystem view, so its absolute symlinks are safe.
   */
  async copyIn(hostPath: string, pathInServer: string): Promise<void> {
    const st = await Deno.stat(hostPath);
    if (st.isFile) {
      return this.writeFile(
        pathInServer,
        await Deno.readFile(hostPath),
        (st.mode ?? 0o644) & 0o7777,
      );
    }
    const tar = await new Deno.Command("tar", {
      args: ["-C", hostPath, "-cf", "-", "."],
      stderr: "piped",
    }).output();
    if (!tar.success) {
      throw new Error(`Packing ${hostPath} failed: ${new TextDecoder().decode(tar.stderr)}`);
    }
    const script = 'mkdir -p "$1" && tar -C "$1" -xf -';
    await this.exec(["sh", "-c", script, "sh", pathInServer], { stdin: tar.stdout, check: true });
  }

  /**
   * Shuts the server down cleanly (as `systemctl poweroff` would) and boots it
   * again on the same disk, then waits for `running`.
   */
  async reboot(): Promise<void> {
    if (this.#down) throw new Error(`Server "${this.name}" was shut down: cannot reboot it`);
    await this.#stop(true);
    await this.#cleanCgroups();
    await this.start();
  }

  /** Tears everything down: processes, mounts, cgroups, runtime files. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    await allSteps(`Tearing down server "${this.name}"`, [
      ["stop container", () => this.#stop(false)],
      ["remove mounts, cgroups and runtime files", () => teardown(this.name)],
      ["release the host", releaseHost],
    ]);
  }

  /** Same as {@linkcode Server.shutdown}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** @internal Launches nspawn in the server's own cgroups and waits for the boot to finish. */
  async start(): Promise<void> {
    const procs = [];
    for (const root of CGROUP_ROOTS) {
      await Deno.mkdir(`${root}/cm-testbed/${this.name}`, { recursive: true });
      procs.push(`${root}/cm-testbed/${this.name}/cgroup.procs`);
    }
    // The shell moves itself into the cgroups, then becomes nspawn: with --keep-unit
    // nspawn uses its own cgroup as the container's, so each server needs one.
    const script =
      'log=$1; shift; while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; ' +
      'exec "$@" </dev/null >"$log" 2>&1';
    this.#child = new Deno.Command("sh", {
      args: [
        "-c",
        script,
        "sh",
        `${this.base}/console.log`,
        ...procs,
        "--",
        "systemd-nspawn",
        "--boot",
        "--register=no",
        "--keep-unit",
        "--link-journal=no",
        "--console=read-only",
        `--machine=${this.name}`,
        "-D",
        this.root,
      ],
      env: { PATH: SYSTEM_PATH },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#status = this.#child.status;
    await Deno.writeTextFile(`${this.base}/nspawn.pid`, `${this.#child.pid}\n`);
    this.#init = await this.#findInit();
    await this.#waitRunning();
  }

  async #findInit(): Promise<number> {
    const nspawn = this.#child!.pid;
    const ours = await Deno.readLink("/proc/self/ns/pid");
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await this.#assertAlive("starting");
      for (const pid of await childrenOf(nspawn)) {
        const ns = await Deno.readLink(`/proc/${pid}/ns/pid`).catch(() => ours);
        if (ns !== ours) return pid;
      }
      await sleep(20);
    }
    throw new Error(
      `Server "${this.name}": systemd-nspawn started no container within 10 s${await this
        .#logTail()}`,
    );
  }

  async #waitRunning(): Promise<void> {
    const timeout = this.opts.bootTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeout;
    let last = "";
    while (Date.now() < deadline) {
      await this.#assertAlive("booting");
      // Right after boot the bus may not be up yet: retry until systemd answers.
      const r = await this.exec(["timeout", "20", "systemctl", "is-system-running", "--wait"]);
      const state = r.stdout.trim();
      if (state === "running") return;
      if (state === "degraded") {
        if (this.opts.allowDegraded) return;
        const failed = await this.exec(["systemctl", "--failed", "--plain", "--no-legend"]);
        throw new Error(
          `Server "${this.name}" booted degraded; failed units:\n${failed.stdout.trim()}`,
        );
      }
      last = `${state} ${r.stderr.trim()}`.trim();
      await sleep(50);
    }
    throw new Error(
      `Server "${this.name}" did not reach "running" within ${timeout} ms (last: ${last})${await this
        .#logTail()}`,
    );
  }

  async #assertAlive(what: string): Promise<void> {
    const exited = await Promise.race([this.#status!, sleep(0).then(() => undefined)]);
    if (exited) {
      this.#init = 0;
      throw new Error(
        `Server "${this.name}": systemd-nspawn exited ${exited.code} while ${what}${await this
          .#logTail()}`,
      );
    }
  }

  async #logTail(): Promise<string> {
    const text = await Deno.readTextFile(`${this.base}/console.log`).catch(() => "");
    return text ? `\nconsole.log tail:\n${text.trim().split("\n").slice(-20).join("\n")}` : "";
  }

  /** Stops the container: cleanly (poweroff, forced after 30 s) or at once (SIGKILL). */
  async #stop(clean: boolean): Promise<void> {
    if (!this.#child) return;
    const [nspawn, init, status] = [this.#child.pid, this.#init, this.#status!];
    const exited = (ms: number) => Promise.race([status, sleep(ms).then(() => undefined)]);
    try {
      // nspawn turns SIGTERM into an orderly poweroff of the container.
      if (clean) signal(nspawn, "SIGTERM");
      if (clean && await exited(30_000)) return;
      // Killing init kills every process in the container; nspawn then reaps it and exits.
      if (init) signal(init, "SIGKILL");
      if (await exited(5_000)) return;
      await killCgroups(this.name);
      signal(nspawn, "SIGKILL");
      if (!await exited(10_000)) throw new Error(`systemd-nspawn (pid ${nspawn}) survived SIGKILL`);
    } finally {
      this.#init = 0;
      this.#child = undefined;
      await waitGone(init);
    }
  }

  async #cleanCgroups(): Promise<void> {
    for (const root of CGROUP_ROOTS) await removeCgroup(`${root}/cm-testbed/${this.name}`);
    await removeNspawnRuntime(this.name);
  }
}

/** Servers share the host's network, so only one test process at a time may have servers up. */
let hostLock: Promise<Deno.FsFile> | undefined;
let hostUsers = 0;

async function acquireHost(): Promise<void> {
  hostUsers++;
  hostLock ??= (async () => {
    await Deno.mkdir(RUN_DIR, { recursive: true });
    const file = await Deno.open(`${RUN_DIR}.lock`, { create: true, write: true });
    const others = (await Array.fromAsync(Deno.readDir(RUN_DIR))).length;
    if (others > 0) {
      console.error(
        `[testbed] waiting for other test processes' servers to shut down (${RUN_DIR})`,
      );
    }
    await file.lock(true);
    return file;
  })();
  try {
    await hostLock;
  } catch (e) {
    hostUsers--;
    hostLock = undefined;
    throw e;
  }
}

async function releaseHost(): Promise<void> {
  if (--hostUsers > 0 || !hostLock) return;
  const lock = hostLock;
  hostLock = undefined;
  (await lock).close(); // closing releases the lock
}

/**
 * Removes what crashed earlier runs left behind: for every server directory in
 * {@linkcode RUN_DIR} whose owning process is gone, kills its processes and
 * removes its mounts, cgroups and files. Called by {@linkcode bootServer}.
 */
export async function cleanupStale(): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(RUN_DIR));
  } catch {
    return;
  }
  for (const e of entries) {
    const owner = Number(
      (await Deno.readTextFile(`${RUN_DIR}/${e.name}/owner`).catch(() => "")).trim(),
    );
    if (owner && owner !== Deno.pid && await exists(`/proc/${owner}`)) continue;
    if (owner === Deno.pid) continue;
    await teardown(e.name);
  }
}

/** Kills, unmounts and removes everything belonging to the server `name` (each step tried). */
async function teardown(name: string): Promise<void> {
  const base = `${RUN_DIR}/${name}`;
  await allSteps(`Cleaning up server "${name}"`, [
    ["kill processes", () => killCgroups(name)],
    ["unmount", () => unmountBelow(base)],
    ["remove cgroups", async () => {
      for (const root of CGROUP_ROOTS) {
        await removeCgroup(`${root}/cm-testbed/${name}`);
        await Deno.remove(`${root}/cm-testbed`).catch(() => {}); // only when no other server uses it
      }
    }],
    ["remove runtime dir", async () => {
      if ((await mountsBelow(base)).length > 0) {
        throw new Error(`${base} still has mounts, not removing it`);
      }
      await Deno.remove(base, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }],
    ["remove /run/systemd/nspawn", () => removeNspawnRuntime(name)],
  ]);
}

/** SIGKILLs every process in the server's cgroups until they are empty. */
async function killCgroups(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  const killed = new Set<number>();
  while (true) {
    const pids = new Set<number>();
    for (const root of CGROUP_ROOTS) {
      for (const dir of await cgroupTree(`${root}/cm-testbed/${name}`)) {
        const text = await Deno.readTextFile(`${dir}/cgroup.procs`).catch(() => "");
        for (const p of text.split("\n").filter(Boolean)) pids.add(Number(p));
      }
    }
    if (pids.size === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`processes ${[...pids].join(", ")} survived SIGKILL`);
    }
    for (const pid of pids) {
      signal(pid, "SIGKILL");
      killed.add(pid);
    }
    await sleep(50);
  }
  for (const pid of killed) await waitGone(pid);
}

/** A cgroup directory and all its descendants, deepest first. */
async function cgroupTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) out.push(...await cgroupTree(`${dir}/${e.name}`));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  out.push(dir);
  return out;
}

async function removeCgroup(dir: string): Promise<void> {
  for (const d of await cgroupTree(dir)) {
    for (let i = 0;; i++) {
      try {
        await Deno.remove(d);
        break;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) break;
        // A cgroup stays busy for a moment after its last process died.
        if (i >= 50) throw new Error(`cannot remove cgroup ${d}: ${(e as Error).message}`);
        await sleep(20);
      }
    }
  }
}

/**
 * nspawn leaves /run/systemd/nspawn/{propagate,unix-export,locks,...} behind on
 * the host: remove this server's entries, and the whole directory once no
 * testbed server is left.
 */
async function removeNspawnRuntime(name: string): Promise<void> {
  const dir = "/run/systemd/nspawn";
  await unmountBelow(dir, `/${name}`);
  for (const sub of await Array.fromAsync(Deno.readDir(dir)).catch(() => [])) {
    await Deno.remove(`${dir}/${sub.name}/${name}`, { recursive: true }).catch(() => {});
  }
  const others = (await Array.fromAsync(Deno.readDir(RUN_DIR)).catch(() => []))
    .filter((e) => e.name !== name);
  if (others.length > 0) return;
  await unmountBelow(dir);
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${t.name}/children`).catch(() => "");
      out.push(...text.split(" ").filter(Boolean).map(Number));
    }
  } catch { /* process gone */ }
  return out;
}

function cgroupRoots(): string[] {
  const isDir = (p: string) => {
    try {
      return Deno.statSync(p).isDirectory;
    } catch {
      return false;
    }
  };
  const has = (p: string) => isDir(p) && exists_(`${p}/cgroup.procs`);
  if (exists_("/sys/fs/cgroup/cgroup.controllers")) return ["/sys/fs/cgroup"]; // pure cgroup v2
  return ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"].filter(has);
}

function exists_(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to 5 s) until `pid` is gone, zombie included. */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; pid && i < 250 && await exists(`/proc/${pid}`); i++) await sleep(20);
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch { /* already gone */ }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
