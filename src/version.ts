/** cm's version (part of the catalog's key; the library exports it). */
export const VERSION = "0.1.0";

/**
 * What `cm --version` prints: the version, which build of cm this is and the
 * deno inside it, e.g. `0.1.0 (self-extracting executable, deno 2.9.6, build
 * 8fc13e0260e4)`. A `deno compile` binary runs as itself (not as a `deno`),
 * the self-extracting executable runs a JavaScript bundle (from a directory
 * named by its payload's sha256, which tells two builds of one version
 * apart), source is TypeScript.
 */
export function versionLine(execPath = Deno.execPath(), mainModule = Deno.mainModule): string {
  const compiled = !/(^|\/)deno$/.test(execPath);
  const artefact = compiled
    ? "deno compile binary"
    : mainModule.endsWith(".js")
    ? "self-extracting executable"
    : "from source";
  const build = /\/([0-9a-f]{64})\/cm\/main\.js$/.exec(mainModule)?.[1];
  return `${VERSION} (${artefact}, deno ${Deno.version.deno}${
    build ? `, build ${build.slice(0, 12)}` : ""
  })`;
}
