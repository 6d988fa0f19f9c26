/**
 * `deno task cm ...`: runs main.ts exactly as the compiled binary runs, under
 * the permission flags of src/permissions.ts.
 *
 * @module
 */
import { cmCommand } from "./cm_command.ts";

const { code } = await new Deno.Command(Deno.execPath(), {
  args: cmCommand(Deno.args).slice(1),
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
Deno.exit(code);
