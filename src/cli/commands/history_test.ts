import assert from "node:assert/strict";
import { RealExecutor } from "../../exec/real.ts";
import { UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { tempDir } from "../../_testing.ts";
import { collectingPrinter } from "../_testing.ts";
import { history, moment, resourceId } from "./history.ts";
import { humanTime } from "../../text.ts";

/** A run report starting at `at` (UTC) that changed `changed` resources. */
function run(id: string, at: string, changed: number) {
  return {
    id,
    mode: "apply",
    startedAt: at,
    durationMs: 50,
    cookbooks: ["/root/web.yaml"],
    resources: [],
    handlers: [],
    totals: { changed, unchanged: 3, failed: 0, skipped: 0 },
    result: "ok",
  };
}

Deno.test("history answers what changed last Tuesday: --since, --until and --changed", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  const runs = [
    run("20261123T230000Z-1", "2026-11-23T23:00:00.000Z", 1),
    run("20261124T090000Z-2", "2026-11-24T09:00:00.000Z", 0),
    run("20261124T100000Z-3", "2026-11-24T10:00:00.000Z", 2),
    run("20261125T100000Z-4", "2026-11-25T10:00:00.000Z", 1),
  ];
  for (const r of runs) Deno.writeTextFileSync(`${paths.runs}/${r.id}.json`, JSON.stringify(r));
  const ids = (options: { since?: Date; until?: Date; changed?: boolean }) => {
    const { printer, lines } = collectingPrinter();
    history(new RealExecutor(), printer, { stateDir: dir.path, limit: 20, json: true, ...options });
    return JSON.parse(lines.join("\n")).map((r: { id: string }) => r.id);
  };
  const tuesday = { since: moment("2026-11-24T00:00Z"), until: moment("2026-11-25T00:00Z") };
  assert.deepEqual(ids(tuesday), ["20261124T090000Z-2", "20261124T100000Z-3"]);
  assert.deepEqual(ids({ ...tuesday, changed: true }), ["20261124T100000Z-3"]);
  assert.deepEqual(ids({ since: moment("2026-11-25T00:00Z") }), ["20261125T100000Z-4"]);
  // A time copied from the table takes in the run shown at it, as --since does.
  const shown = moment("2026-11-24 10:00:00 +0000");
  assert.deepEqual(ids({ since: shown, until: shown }), ["20261124T100000Z-3"]);
});

Deno.test("history --since takes a day (local midnight) or a date and time, and refuses the rest", () => {
  assert.equal(moment("2026-11-24").getTime(), new Date(2026, 10, 24).getTime());
  assert.equal(moment("2026-11-24 14:30").getTime(), new Date(2026, 10, 24, 14, 30).getTime());
  assert.equal(moment("2026-11-24T14:30:00Z").toISOString(), "2026-11-24T14:30:00.000Z");
  assert.equal(moment("2026-11-24 15:30:00 +0100").toISOString(), "2026-11-24T14:30:00.000Z");
  assert.equal(moment(humanTime("2026-11-24T14:30:00Z")).toISOString(), "2026-11-24T14:30:00.000Z");
  assert.throws(() => moment("last tuesday"), {
    name: UsageError.name,
    message: 'expected a date like 2026-11-24 or 2026-11-24 14:30 (local time), got "last tuesday"',
  });
});

Deno.test("history --resource lists only the runs that changed, failed on or refreshed it, and what they did", async () => {
  await using dir = await tempDir();
  const paths = statePaths(dir.path);
  Deno.mkdirSync(paths.runs, { recursive: true });
  const conf = "file[/etc/nginx/nginx.conf]";
  const entry = (id: string, status: string, extra = {}) => ({
    id,
    kind: id.split("[")[0],
    status,
    changes: status === "changed" ? [{ field: "mode", before: "0600", after: "0644" }] : [],
    durationMs: 1,
    at: "/root/web.yaml:3:5",
    ...extra,
  });
  const runs = [
    {
      ...run("20261123T230000Z-1", "2026-11-23T23:00:00.000Z", 1),
      resources: [entry(conf, "changed")],
    },
    {
      ...run("20261124T090000Z-2", "2026-11-24T09:00:00.000Z", 1),
      resources: [entry(conf, "unchanged")],
    },
    {
      ...run("20261124T100000Z-3", "2026-11-24T10:00:00.000Z", 0),
      resources: [
        entry(conf, "failed", { error: "validate refused: nginx -t exited 1: bad\nworse" }),
      ],
    },
    {
      ...run("20261125T100000Z-4", "2026-11-25T10:00:00.000Z", 1),
      handlers: [{
        id: "service[nginx]",
        action: "reload",
        triggeredBy: [conf],
        status: "changed",
        durationMs: 3,
      }],
    },
  ];
  for (const r of runs) Deno.writeTextFileSync(`${paths.runs}/${r.id}.json`, JSON.stringify(r));
  const list = (resource: string, limit = 20) => {
    const { printer, lines } = collectingPrinter();
    history(new RealExecutor(), printer, { stateDir: dir.path, limit, resource });
    return lines;
  };
  const lines = list(conf);
  assert.equal(lines.length, 6);
  assert.match(lines[1], /^20261123T230000Z-1 /);
  assert.equal(lines[2], "    changed: mode: 0600 → 0644");
  assert.match(lines[3], /^20261124T100000Z-3 /);
  assert.equal(lines[4], "    failed: validate refused: nginx -t exited 1: bad");
  assert.equal(lines[5], "        worse");
  assert.deepEqual(list(conf, 1).slice(1), lines.slice(3));
  assert.deepEqual(list("service[nginx]").slice(2), [
    `    refreshed: reload after ${conf} changed`,
  ]);
  assert.deepEqual(list("file[/etc/nginx/nginx.cnf]"), [
    `no run in ${paths.runs} changed file[/etc/nginx/nginx.cnf]: did you mean ${conf}?`,
  ]);
  const { printer, lines: json } = collectingPrinter();
  history(new RealExecutor(), printer, {
    stateDir: dir.path,
    limit: 5,
    resource: conf,
    json: true,
  });
  assert.deepEqual(
    JSON.parse(json.join("\n")).map((r: { resource: { status: string } }) => r.resource.status),
    ["changed", "failed"],
  );
});

Deno.test("--resource takes file:/etc/x or file[/etc/x] and refuses anything else", () => {
  assert.equal(resourceId("file:/etc/nginx/nginx.conf"), "file[/etc/nginx/nginx.conf]");
  assert.equal(resourceId("service[nginx]"), "service[nginx]");
  assert.throws(() => resourceId("/etc/nginx/nginx.conf"), {
    name: UsageError.name,
    message: /expected a resource id like file:\/etc\/nginx\/nginx\.conf or file\[/,
  });
});
