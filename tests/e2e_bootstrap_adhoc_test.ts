/**
 * The README's operator install, ad hoc: on a fresh server without deno,
 * `bootstrap.sh --binary dist/cm --sha256 HEX` piped into bash (as under
 * `curl | bash`) installs cm and its directories, and nothing of node mode;
 * `cm apply` then converges a cookbook.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ensureDistCm } from "../scripts/dist.ts";
import { bootServer } from "./testbed/mod.ts";

const BOOTSTRAP = new URL("../bootstrap.sh", import.meta.url).pathname;

Deno.test("bootstrap.sh --binary (ad hoc, piped into bash) installs cm and its directories, no repo, no timer", async () => {
  const dist = await ensureDistCm();
  const sha256 = createHash("sha256").update(await Deno.readFile(dist.path)).digest("hex");
  await using srv = await bootServer();
  await srv.copyIn(dist.path, "/opt/dist/cm");
  const r = await srv.exec(
    ["bash", "-s", "--", "--binary", "/opt/dist/cm", "--sha256", sha256],
    { stdin: await Deno.readFile(BOOTSTRAP) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /installed \/usr\/local\/bin\/cm: cm \d+\.\d+\.\d+ \(/);
  console.log(`ad hoc bootstrap installed: ${r.stderr.match(/cm (\d.*)\n/)?.[1]}`);
  const modes = await srv.exec([
    "stat",
    "-c",
    "%a",
    "/etc/config-manager",
    "/var/lib/config-manager",
  ]);
  assert.equal(modes.stdout, "700\n700\n");
  const nodeOnly = await srv.exec([
    "sh",
    "-c",
    "ls /etc/config-manager/config.yaml /etc/systemd/system/config-manager-sync.timer",
  ]);
  assert.notEqual(nodeOnly.code, 0, `ad hoc mode wrote node files: ${nodeOnly.stdout}`);
  const manual = await srv.exec(["head", "-c", "9", "/usr/local/share/man/man1/cm.1"]);
  assert.equal(manual.stdout, ".TH CM 1 ", "bootstrap installs cm(1), which the units name");

  await srv.exec([
    "sh",
    "-c",
    "printf 'configure:\\n  files:\\n    - path: /srv/hello\\n      content: hi\\n' >/root/site.yaml",
  ], { check: true });
  const applied = await srv.exec(["cm", "apply", "/root/site.yaml"]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((await srv.exec(["cat", "/srv/hello"])).stdout, "hi");
});
