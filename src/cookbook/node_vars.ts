/**
 * The node's own vars: a root-only YAML file outside the repository (named by
 * `vars_file:` in the node configuration, or `--vars-file`), for values that
 * must stay out of git such as passwords. It holds one `vars:` mapping; its
 * values override the cookbooks' vars of the same name.
 *
 * @module
 */
import type { Probe } from "../exec/executor.ts";
import { type Problem, wholeFile } from "../errors.ts";
import { decodeUtf8, MAX_COOKBOOK_BYTES, readInputVia } from "../exec/input.ts";
import { varsFileRefusal } from "./vars_file_access.ts";
import { parseYaml, positionOf, type YamlSource } from "./yaml_source.ts";

/**
 * Reads the vars file at `path`: a regular file (not a link) owned by root or
 * by the user cm runs as, readable by nobody else, holding only a `vars:`
 * mapping; else its problems.
 */
export function readNodeVars(
  probe: Probe,
  path: string,
  myUid = Deno.uid(),
): YamlSource | Problem[] {
  const at = wholeFile(path);
  const refuse = (message: string): Problem[] => [{ at, path: "", message }];
  const refused = varsFileRefusal(probe, path, myUid);
  if (refused) return refuse(refused);
  const data = readInputVia(probe, path, MAX_COOKBOOK_BYTES);
  if ("error" in data) return refuse(data.error);
  const text = decodeUtf8(data);
  if (typeof text !== "string") {
    return [{ at: { file: path, ...text }, path: "", message: "not valid UTF-8" }];
  }
  const source = parseYaml(path, text, "a vars: mapping");
  if (Array.isArray(source)) return source;
  const raw = source.raw;
  const isMapping = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  const extra = isMapping(raw) ? Object.keys(raw).find((k) => k !== "vars") : undefined;
  if (!isMapping(raw) || !isMapping(raw.vars) || extra !== undefined) {
    return [{
      at: extra === undefined ? at : positionOf(source, [extra], true),
      path: extra ?? "",
      message: "expected only a vars: mapping of names to values",
    }];
  }
  return source;
}
