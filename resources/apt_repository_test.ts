import assert from "node:assert/strict";
import { RealExecutor } from "../src/exec/real.ts";
import { RecordingExecutor } from "../src/exec/recording.ts";
import { tempDir } from "../src/_testing.ts";
import {
  aptRepository,
  aptRepositoryKind,
  type AptRepositorySpec,
  publicKeyBytes,
  renderSources,
} from "./apt_repository.ts";
import { schema as aptRepositorySchema } from "./apt_repository_schema.ts";
import { APT_ENV, APT_GET } from "./_apt.ts";
import { convergeOne, planOne, testContext } from "./_testing.ts";
import { snapshotStore } from "../src/state/snapshots.ts";

const TESTDATA = new URL("../tests/testdata/apt/", import.meta.url).pathname;
const BINARY_KEY = Deno.readFileSync(`${TESTDATA}key.gpg`);

/** A spec as the loader makes it: schema fields, and `key` resolved to `keyPath`. */
function spec({ keyPath, ...fields }: Record<string, unknown>): AptRepositorySpec {
  return {
    ...aptRepositorySchema.parse(fields),
    ...(keyPath ? { keyPath: keyPath as string } : {}),
  };
}

/** The real executor, but `apt-get update` is not run: the end-to-end test runs it for real. */
class NoProcesses extends RealExecutor {
  readonly calls: string[][] = [];
  /** The exit code every command answers. */
  code = 0;
  override run(argv: string[]) {
    this.calls.push(argv);
    return Promise.resolve({ code: this.code, stdout: "", stderr: this.code ? "E: no\n" : "" });
  }
}

const SURY = {
  name: "sury-php",
  uris: ["https://packages.sury.org/php/"],
  suites: ["bookworm"],
  components: ["main"],
  key: "files/sury.asc",
  keyPath: `${TESTDATA}key.asc`,
};
const SOURCES = "/etc/apt/sources.list.d/sury-php.sources";
const KEYRING = "/etc/apt/keyrings/sury-php.gpg";
const UPDATE = [...APT_GET, "update"];

function machine(): RecordingExecutor {
  return new RecordingExecutor().put("/etc/apt/sources.list.d", undefined)
    .put(SURY.keyPath, Deno.readFileSync(SURY.keyPath));
}

Deno.test("apt_repository renders deb822 with Signed-By naming its keyring", () => {
  assert.equal(
    renderSources(spec(SURY), "apt_repository[sury-php]", KEYRING),
    "# apt_repository[sury-php]: managed by cm, changes here are overwritten\n" +
      "Types: deb\nURIs: https://packages.sury.org/php/\nSuites: bookworm\nComponents: main\n" +
      `Signed-By: ${KEYRING}\n`,
  );
});

Deno.test("apt_repository reads armored and binary public keys alike and refuses anything else", () => {
  const armored = publicKeyBytes(Deno.readFileSync(`${TESTDATA}key.asc`));
  assert.deepEqual(armored, BINARY_KEY);
  assert.deepEqual(publicKeyBytes(BINARY_KEY), BINARY_KEY);
  const text = new TextEncoder();
  assert.deepEqual(publicKeyBytes(text.encode("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")), {
    error: 'expected an OpenPGP public key, got "-----BEGIN PGP PRIVATE KEY BLOCK-----"',
  });
  assert.deepEqual(publicKeyBytes(text.encode("<html>not found</html>")), {
    error: "expected an OpenPGP public key (armored or binary), got other data",
  });
  // The right armor around something else (a page, a signature) is no key either.
  for (const body of [btoa("<html>not found</html>"), "", "iQIzBAABCAAdFiEE"]) {
    const armor =
      `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${body}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
    assert.deepEqual(publicKeyBytes(text.encode(armor)), {
      error: "expected an OpenPGP public key in the armored block, got other data",
    }, body);
  }
});

Deno.test("apt_repository id, claims and check", () => {
  const s = spec(SURY);
  assert.equal(aptRepository.id(s), "apt_repository[sury-php]");
  assert.deepEqual(aptRepository.claims!(s), [`path:${SOURCES}`, `path:${KEYRING}`]);
  assert.deepEqual(aptRepository.check!(s), []);
  assert.deepEqual(aptRepository.check!(spec({ name: "x" })), [
    { field: "uris", message: "expected uris for a repository (or state: absent)" },
    { field: "suites", message: "expected suites for a repository (or state: absent)" },
  ]);
  assert.deepEqual(
    aptRepository.check!(
      spec({ name: "x", uris: ["file:/srv/repo"], suites: ["./"], components: ["main"] }),
    ),
    [{
      field: "components",
      message: 'expected no components with a flat suite (one ending in "/")',
    }],
  );
  assert.deepEqual(aptRepository.check!(spec({ name: "x", uris: ["file:/r"], suites: ["a"] })), [
    { field: "components", message: "expected components, e.g. [main]" },
  ]);
});

Deno.test("apt_repository schema refuses a leading dash and a URI without a scheme", () => {
  assert.equal(aptRepositorySchema.safeParse({ ...SURY, name: "-x" }).success, false);
  assert.equal(
    aptRepositorySchema.safeParse({ ...SURY, uris: ["packages.sury.org"] }).success,
    false,
  );
});

Deno.test("apt_repository writes both files, runs apt-get update once, then finds nothing to do", async () => {
  const exec = machine();
  const other = spec({ name: "local", uris: ["file:/srv/repo"], suites: ["./"] });
  const ctx = testContext();
  const items = [];
  for (const s of [spec(SURY), other]) {
    items.push({ spec: s, changes: await planOne(aptRepository, s, exec) });
  }
  assert.deepEqual(items[0].changes.map((c) => c.field), ["sources", "keyring"]);
  assert.deepEqual(items[0].changes[1].before, null);
  assert.deepEqual(items[1].changes.map((c) => c.field), ["sources"]);
  assert.deepEqual(await aptRepository.apply(items, exec, ctx), [{ ok: true }, { ok: true }]);
  assert.deepEqual(exec.calls, [UPDATE]);
  assert.deepEqual(exec.writes, [
    "mkdir /etc/apt/keyrings",
    `write ${KEYRING}`,
    `write ${SOURCES}`,
    "write /etc/apt/sources.list.d/local.sources",
    "mkdir /var/lib/apt/periodic",
    "write /var/lib/apt/periodic/update-success-stamp",
  ]);
  assert.deepEqual(exec.readFile(KEYRING), BINARY_KEY);
  assert.equal(exec.stat(SOURCES)?.mode, 0o644);
  assert.deepEqual(await planOne(aptRepository, spec(SURY), exec), []);
  assert.deepEqual(await planOne(aptRepository, other, exec), []);
});

Deno.test("apt_repository puts the files back and fails when apt-get update fails", async () => {
  const exec = machine().put(SOURCES, "old sources");
  exec.on(UPDATE, { code: 100, stderr: "E: The repository is not signed." });
  const { outcome } = await convergeOne(aptRepository, spec(SURY), exec);
  assert.deepEqual(outcome, {
    ok: false,
    error: "apt-get update failed, sources put back: apt-get update exited 100: " +
      "E: The repository is not signed.",
  });
  assert.equal(exec.text(SOURCES), "old sources");
  assert.equal(exec.stat(KEYRING), null);
  assert.equal((await planOne(aptRepository, spec(SURY), exec)).length, 2);
});

Deno.test("apt_repository runs apt-get update with apt's environment", async () => {
  const exec = machine();
  const seen: Record<string, string>[] = [];
  exec.on(UPDATE, (_argv, options) => {
    seen.push(options.env ?? {});
    return {};
  });
  await convergeOne(aptRepository, spec(SURY), exec);
  assert.deepEqual(seen, [APT_ENV]);
});

Deno.test("apt_repository blocks on a key that is not a public key and writes nothing", async () => {
  const exec = machine().put(SURY.keyPath, "-----BEGIN PGP PRIVATE KEY BLOCK-----\n");
  const { changes, outcome } = await convergeOne(aptRepository, spec(SURY), exec);
  assert.deepEqual(changes, [{
    field: "key",
    before: null,
    after: null,
    note:
      'key "files/sury.asc": expected an OpenPGP public key, got "-----BEGIN PGP PRIVATE KEY BLOCK-----"',
    blocked: true,
  }]);
  assert.equal(outcome.ok, false);
  assert.deepEqual([exec.calls, exec.writes], [[], []]);
});

Deno.test("apt_repository state absent removes both files and refreshes the lists", async () => {
  const exec = machine().put(SOURCES, "x").put(KEYRING, BINARY_KEY);
  const { changes, outcome } = await convergeOne(
    aptRepository,
    spec({ name: "sury-php", state: "absent" }),
    exec,
  );
  assert.deepEqual(changes.map((c) => [c.field, c.after]), [["sources", null], ["keyring", null]]);
  assert.deepEqual(outcome, { ok: true });
  assert.deepEqual([exec.stat(SOURCES), exec.stat(KEYRING)], [null, null]);
  assert.deepEqual(exec.calls, [UPDATE]);
});

Deno.test("apt_repository on a real file system writes root-owned 0644 files atomically", async () => {
  await using dir = await tempDir("cm-apt-repository-test-");
  const dirs = { sources: `${dir.path}/sources.list.d`, keyrings: `${dir.path}/keyrings` };
  Deno.mkdirSync(dirs.sources);
  const kind = aptRepositoryKind(dirs);
  const exec = new NoProcesses();
  const s = spec({ ...SURY, keyPath: `${TESTDATA}key.gpg` });
  assert.deepEqual((await convergeOne(kind, s, exec)).outcome, { ok: true });
  assert.deepEqual(Deno.readFileSync(`${dirs.keyrings}/sury-php.gpg`), BINARY_KEY);
  const info = Deno.statSync(`${dirs.sources}/sury-php.sources`);
  assert.deepEqual([info.mode! & 0o777, info.uid], [0o644, 0]);
  assert.deepEqual(await planOne(kind, s, exec), []);
});

Deno.test("apt_repository rollback puts both files back, then refreshes the lists", async () => {
  await using dir = await tempDir("cm-apt-repository-test-");
  const dirs = { sources: `${dir.path}/sources.list.d`, keyrings: `${dir.path}/keyrings` };
  Deno.mkdirSync(dirs.sources);
  const old = `${dirs.sources}/sury-php.sources`;
  Deno.writeTextFileSync(old, "Types: deb\nURIs: http://old/\n");
  const kind = aptRepositoryKind(dirs);
  const exec = new NoProcesses();
  const store = snapshotStore(exec, `${dir.path}/snapshots`);
  const s = spec({ ...SURY, keyPath: `${TESTDATA}key.gpg` });
  const [current] = await kind.read([s], exec, testContext());
  const before = await kind.snapshot!(s, current, store);
  assert.deepEqual((await convergeOne(kind, s, exec)).outcome, { ok: true });
  exec.calls.length = 0;
  assert.deepEqual(await kind.restore!(before, exec, store, testContext()), { ok: true });
  assert.equal(Deno.readTextFileSync(old), "Types: deb\nURIs: http://old/\n");
  assert.deepEqual([...Deno.readDirSync(dirs.keyrings)], []);
  assert.deepEqual(exec.calls, [UPDATE]);

  exec.code = 100;
  assert.deepEqual(await kind.restore!(before, exec, store, testContext()), {
    ok: false,
    error: "sources put back, but apt-get update failed: apt-get update exited 100: E: no",
  });
});
