/**
 * A signed local apt repository built on the host, for end-to-end tests of
 * `apt_repository`: one tiny `Architecture: all` package, a flat repository
 * (`Suites: ./`) with `Packages`, `Release` and a clearsigned `InRelease`,
 * signed by a fresh key that only this repository uses.
 *
 * ```ts
 * import { bootServer } from "../testbed/mod.ts";
 * import { buildAptRepo } from "./apt_repo.ts";
 *
 * await using srv = await bootServer();
 * const repo = await buildAptRepo({ name: "cm-hello", version: "1.0" });
 * await srv.copyIn(repo.dir, "/srv/repo");
 * await srv.writeFile("/srv/cookbook/files/repo.asc", repo.publicKey);
 * ```
 *
 * Needs dpkg-deb, dpkg-scanpackages and gpg on the host.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The repository's directory on the host and its armored public key. */
export interface AptRepo {
  dir: string;
  publicKey: string;
}

async function run(argv: string[], cwd?: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), cwd, env }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Builds the repository with one package; removed with the process's temp files. */
export async function buildAptRepo(pkg: { name: string; version: string }): Promise<AptRepo> {
  const work = await Deno.makeTempDir({ prefix: "cm-apt-repo-" });
  const dir = `${work}/repo`;
  const root = `${work}/pkg`;
  await Deno.mkdir(`${root}/DEBIAN`, { recursive: true });
  await Deno.mkdir(`${root}/usr/share/${pkg.name}`, { recursive: true });
  await Deno.mkdir(dir, { mode: 0o755 });
  await Deno.writeTextFile(
    `${root}/DEBIAN/control`,
    `Package: ${pkg.name}\nVersion: ${pkg.version}\nArchitecture: all\n` +
      "Maintainer: cm tests <test@example.invalid>\nDescription: a package from a local test repository\n",
  );
  await Deno.writeTextFile(`${root}/usr/share/${pkg.name}/hello.txt`, `${pkg.version}\n`);
  const deb = `${pkg.name}_${pkg.version}_all.deb`;
  await run(["dpkg-deb", "--build", "--root-owner-group", root, `${dir}/${deb}`]);
  const packages = await run(["dpkg-scanpackages", "--multiversion", "."], dir);
  await Deno.writeTextFile(`${dir}/Packages`, packages);
  const sha = createHash("sha256").update(packages).digest("hex");
  const size = new TextEncoder().encode(packages).length;
  await Deno.writeTextFile(
    `${dir}/Release`,
    `Origin: cm-test\nLabel: cm-test\nDate: ${new Date().toUTCString()}\n` +
      `SHA256:\n ${sha} ${size} Packages\n`,
  );
  const gnupg = `${work}/gnupg`;
  await Deno.mkdir(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg };
  await run(
    [
      "gpg",
      "--batch",
      "--quiet",
      "--passphrase",
      "",
      "--quick-gen-key",
      "cm test repository <test@example.invalid>",
      "ed25519",
      "sign",
      "never",
    ],
    undefined,
    env,
  );
  await run(
    ["gpg", "--batch", "--quiet", "--clearsign", "-o", `${dir}/InRelease`, `${dir}/Release`],
    undefined,
    env,
  );
  const publicKey = await run(["gpg", "--armor", "--export"], undefined, env);
  for (const entry of Deno.readDirSync(dir)) Deno.chmodSync(`${dir}/${entry.name}`, 0o644);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(work, { recursive: true });
    } catch { /* already gone */ }
  });
  return { dir, publicKey };
}
