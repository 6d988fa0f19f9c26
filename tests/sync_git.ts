/**
 * Test helpers for cm sync: a real bare repository with a work clone to
 * commit and push from, and a `git daemon` serving it on 127.0.0.1.
 *
 * @module
 */

const decoder = new TextDecoder();

/** Runs git (or any command) and throws with its stderr when it fails. */
export async function sh(
  argv: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    env,
  }).output();
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout).trim();
}

const IDENTITY = [
  "-c",
  "user.name=Test",
  "-c",
  "user.email=test@example.com",
  "-c",
  "commit.gpgsign=false",
];

/** A bare "remote" repository plus a work clone. */
export class Remote {
  readonly bare: string;
  readonly work: string;
  constructor(readonly dir: string, readonly branch = "main") {
    this.bare = `${dir}/remote.git`;
    this.work = `${dir}/work`;
  }

  /** Creates the bare repository and the work tree. */
  static async create(dir: string, branch = "main"): Promise<Remote> {
    const r = new Remote(dir, branch);
    await sh(["git", "init", "--quiet", "--bare", "-b", branch, r.bare]);
    await sh(["git", "init", "--quiet", "-b", branch, r.work]);
    await sh(["git", "-C", r.work, "remote", "add", "origin", r.bare]);
    return r;
  }

  get fileUrl(): string {
    return `file://${this.bare}`;
  }

  /** Writes files (relative path → content; null deletes), commits and pushes; returns the commit. */
  async commit(
    files: Record<string, string | null>,
    message: string,
    options: { signingKey?: string; gpgHome?: string; force?: boolean; date?: string } = {},
  ): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const full = `${this.work}/${path}`;
      if (content === null) await Deno.remove(full).catch(() => {});
      else {
        await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(full, content);
      }
    }
    await sh(["git", "-C", this.work, "add", "-A"]);
    const sign = options.gpgHome
      ? ["commit", "-S"]
      : options.signingKey
      ? ["-c", "gpg.format=ssh", "-c", `user.signingkey=${options.signingKey}`, "commit", "-S"]
      : ["commit"];
    const env: Record<string, string> = {
      ...(options.gpgHome ? { GNUPGHOME: options.gpgHome } : {}),
      ...(options.date ? { GIT_COMMITTER_DATE: options.date, GIT_AUTHOR_DATE: options.date } : {}),
    };
    await sh(
      ["git", "-C", this.work, ...IDENTITY, ...sign, "--quiet", "--allow-empty", "-m", message],
      undefined,
      env,
    );
    await sh([
      "git",
      "-C",
      this.work,
      "push",
      "--quiet",
      ...(options.force ? ["--force"] : []),
      "origin",
      this.branch,
    ]);
    return await sh(["git", "-C", this.work, "rev-parse", "HEAD"]);
  }

  /** Moves the branch back to `commit` and force-pushes it. */
  async resetTo(commit: string): Promise<void> {
    await sh(["git", "-C", this.work, "reset", "--quiet", "--hard", commit]);
    await sh(["git", "-C", this.work, "push", "--quiet", "--force", "origin", this.branch]);
  }

  /** Rewrites history: a new root commit with `files`, force-pushed. */
  async forcePushNewRoot(files: Record<string, string>, message: string): Promise<string> {
    await sh(["git", "-C", this.work, "checkout", "--quiet", "--orphan", "rewritten"]);
    await sh(["git", "-C", this.work, "rm", "-rfq", "--cached", "."]);
    await sh(["git", "-C", this.work, "clean", "-fdxq"]);
    await sh(["git", "-C", this.work, "branch", "-D", this.branch]).catch(() => "");
    await sh(["git", "-C", this.work, "branch", "-m", this.branch]);
    return await this.commit(files, message, { force: true });
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** A `git daemon` serving every repository under `base` on 127.0.0.1; stop() kills it. */
export class GitDaemon implements AsyncDisposable {
  #child: Deno.ChildProcess | null = null;
  constructor(readonly base: string, readonly port: number) {}

  /** Starts the daemon (on a free port unless given) and waits until it accepts connections. */
  static async start(base: string, port = freePort()): Promise<GitDaemon> {
    const d = new GitDaemon(base, port);
    await d.restart();
    return d;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The git:// URL of a repository under the base path. */
  url(repoPath: string): string {
    return `git://127.0.0.1:${this.port}/${repoPath.slice(this.base.length).replace(/^\/+/, "")}`;
  }

  /** (Re)starts the daemon on the same port. */
  async restart(): Promise<void> {
    if (this.#child) return;
    this.#child = new Deno.Command("git", {
      args: [
        "daemon",
        "--reuseaddr",
        "--export-all",
        "--listen=127.0.0.1",
        `--port=${this.port}`,
        `--base-path=${this.base}`,
        "--informative-errors",
        this.base,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: this.port })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`git daemon did not listen on 127.0.0.1:${this.port}`);
  }

  /** Stops the daemon (and waits for it). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** A cookbook managing one file with `content`. */
export function fileCookbook(path: string, content: string, name = "sync-test"): string {
  return `name: ${name}\nconfigure:\n  files:\n    - path: ${path}\n      content: ${
    JSON.stringify(content)
  }\n      mode: "0644"\n`;
}
