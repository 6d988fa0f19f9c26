/**
 * The FLOOR of a no-op `cm apply`: the least work any tool must do to know that
 * N managed files are unchanged — lstat, read and sha256-hash each file (with
 * node:crypto's synchronous createHash, as cm does) — and nothing else.
 *
 * How to run (bench/noop.ts runs it; by hand):
 *
 *   deno run -A bench/floor.ts LIST            # LIST: one absolute path a line
 *   deno run -A bench/floor.ts LIST --dpkg bash,coreutils,...
 *
 * With `--dpkg NAMES` it also runs ONE `dpkg-query` for those packages, with the
 * argv cm uses, and parses its output: the floor of checking N files plus the
 * packages of the benchmark cookbook. Prints `files=N bytes=B digest=X [packages=P]`
 * (the combined digest proves the work was done and is not optimised away).
 *
 * @module
 */
import { createHash } from "node:crypto";

function writeFloor(desired: string): never {
  const { files } = JSON.parse(Deno.readTextFileSync(desired)) as {
    files: { path: string; content: string }[];
  };
  const encoder = new TextEncoder();
  const dirs = new Set<string>();
  let bytes = 0;
  for (const { path, content } of files) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    const temp = `${dir}/.${path.slice(dir.length + 1)}.floor`;
    const data = encoder.encode(content);
    const file = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
    for (let done = 0; done < data.length;) done += file.writeSync(data.subarray(done));
    file.syncSync();
    file.close();
    Deno.chmodSync(temp, 0o644);
    Deno.renameSync(temp, path);
    dirs.add(dir);
    bytes += data.length;
  }
  for (const dir of dirs) {
    const handle = Deno.openSync(dir, { read: true });
    handle.syncSync();
    handle.close();
  }
  console.log(`written=${files.length} bytes=${bytes}`);
  Deno.exit(0);
}

if (Deno.args[0] === "--write") writeFloor(Deno.args[1]);

const args = [...Deno.args];
const dpkgAt = args.indexOf("--dpkg");
const packages = dpkgAt >= 0 ? args.splice(dpkgAt, 2)[1].split(",").filter(Boolean) : [];
const list = args[0];
if (!list) {
  console.error("usage: deno run -A bench/floor.ts LIST [--dpkg NAME,...] | --write DESIRED");
  Deno.exit(2);
}

const paths = Deno.readTextFileSync(list).split("\n").filter(Boolean);
const all = createHash("sha256");
let bytes = 0;
for (const path of paths) {
  const info = Deno.lstatSync(path);
  if (!info.isFile) throw new Error(`${path}: not a regular file`);
  const data = Deno.readFileSync(path);
  bytes += data.length;
  all.update(createHash("sha256").update(data).digest("hex"));
  all.update(String(info.mode));
}

let line = `files=${paths.length} bytes=${bytes} digest=${all.digest("hex").slice(0, 16)}`;
if (packages.length) {
  const { code, stdout } = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f", "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n"]
      .concat(packages),
    stdout: "piped",
    stderr: "null",
  }).output();
  const installed = new TextDecoder().decode(stdout).split("\n")
    .filter((l) => l.split("\t")[3]?.startsWith("ii")).length;
  if (code !== 0 || installed < packages.length) {
    throw new Error(`dpkg-query: ${installed} of ${packages.length} packages installed`);
  }
  line += ` packages=${installed}`;
}
console.log(line);
