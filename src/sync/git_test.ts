import assert from "node:assert/strict";
import { RealExecutor } from "../exec/real.ts";
import { tempDir } from "../_testing.ts";
import { sh } from "../../tests/sync_git.ts";
import { Git } from "./git.ts";

Deno.test("a checkout whose .git is damaged is not mistaken for a repository around it", async () => {
  await using tmp = await tempDir("cm-git-");
  await sh(["git", "init", "--quiet", tmp.path]);
  await sh(["git", "-C", tmp.path, "commit", "--quiet", "--allow-empty", "-m", "around"], "", {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@t",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@t",
  });
  await Deno.mkdir(`${tmp.path}/state/repo/.git`, { recursive: true });
  const git = new Git(new RealExecutor(), `${tmp.path}/state/repo`);
  assert.equal(await git.head(), null);
  assert.notEqual((await git.run(["status"])).code, 0);
});
