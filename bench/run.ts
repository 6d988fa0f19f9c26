/**
 * `deno task bench`: runs a benchmark script of bench/ (default: noop.ts).
 *
 *   deno task bench                    # bench/noop.ts: no-op apply vs the floor
 *   deno task bench --quick            # the same, smoke sized
 *   deno task bench profile            # bench/profile.ts: where the no-op time goes
 *   deno task bench profile --files 10000 --runs 3
 *   deno task bench compare            # bench/compare.ts: cm vs Ansible, Puppet, BundleWrap (root)
 *
 * Any other first argument NAME runs bench/NAME.ts with the remaining arguments.
 *
 * @module
 */
const [first, ...rest] = Deno.args;
const named = first !== undefined && !first.startsWith("-");
const script = new URL(`./${named ? first : "noop"}.ts`, import.meta.url).pathname;
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", script, ...(named ? rest : Deno.args)],
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
