/**
 * `deno task cm ...`: runs main.ts exactly as the compiled binary runs, under
 * the permission flags of src/permissions.ts, in the directory the task was
 * typed in (deno task's INIT_CWD), so relative cookbook paths mean what the
 * user meant.
 *
 * @module
 */
import { cmCommand } from "./cm_command.ts";

const { code } = await new Deno.Command(Deno.execPath(), {
  args: cmCommand(Deno.args).slice(1),
  cwd: Deno.env.get("INIT_CWD") ?? Deno.cwd(),
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
Deno.exit(code);
