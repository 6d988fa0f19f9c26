/**
 * The seed design's own example cookbook (tests/testdata/seed_example.yaml,
 * copied unchanged from the design document) validates, and `cm plan` on a
 * fresh machine lists exactly the changes it would make.
 */
import assert from "node:assert/strict";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { loadCookbooks } from "../src/cookbook/load.ts";
import { run } from "../src/engine/run.ts";
import { formatChange } from "../src/cli/output.ts";
import { runCm } from "./harness.ts";

const SEED = new URL("./testdata/seed_example.yaml", import.meta.url).pathname;

Deno.test("the seed example validates unchanged", async () => {
  const result = await runCm(["validate", SEED]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /seed_example\.yaml: valid, 5 resources/);
});

Deno.test("cm plan of the seed example on a fresh machine lists every change it would make", async () => {
  const fresh = new RecordingExecutor()
    .put("/run/systemd/system")
    .put("/etc/nginx")
    .put("/var/lib/apt/lists", undefined, { mtimeMs: Date.now() })
    .on(["dpkg-query"], { code: 1, stderr: "dpkg-query: no packages found matching nginx" })
    .on(["apt-cache", "policy"], { stdout: "nginx:\n  Installed: (none)\n  Candidate: 1.22.1-9\n" })
    .on(["systemctl", "show"], {
      stdout: "Id=nginx.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n",
    });
  fresh.put(SEED, await Deno.readFile(SEED));
  const report = await run(await loadCookbooks([SEED], fresh), { mode: "plan", probe: fresh });
  const plan = report.resources.map((r) =>
    `${r.status} ${r.id}: ${r.changes.map(formatChange).join(", ")}`
  );
  assert.deepEqual(plan, [
    "changed command[/usr/bin/apt-get update]: run: none → /usr/bin/apt-get update (runs every time: no guard)",
    "changed package[nginx]: state: absent → present",
    "changed command[/bin/systemctl enable nginx]: run: none → /bin/systemctl enable nginx (runs every time: no guard)",
    "changed file[/etc/nginx/nginx.conf]: state: absent → present, content: none → 24 B, 1 line, owner: none → root, group: none → root, mode: none → 0644",
    "changed service[nginx]: enabled: none → true (unit not found yet), state: not-found → started (unit not found yet)",
  ]);
  assert.deepEqual(fresh.writes, []);
  assert.ok(
    fresh.calls.every((argv) => ["dpkg-query", "apt-cache", "systemctl"].includes(argv[0])),
  );
});
