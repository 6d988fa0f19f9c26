import assert from "node:assert/strict";
import { RealExecutor } from "../../exec/real.ts";
import { UsageError } from "../../errors.ts";
import { statePaths } from "../../state/paths.ts";
import { tempDir } from "../../_testing.ts";
import { collectingPrinter } from "../_testing.ts";
import { history, moment } from "./history.ts";
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
