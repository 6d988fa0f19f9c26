/**
 * What `cm sync`, `cm timer install` and `cm watch` share: the node
 * configuration option and the flags as overrides.
 *
 * @module
 */
import type { SyncFlags } from "../../sync/config.ts";
import type { OptionSpec } from "../args.ts";

/** `--config FILE`. */
export const CONFIG_OPTION: OptionSpec = {
  flag: "--config",
  value: "file",
  help: "node configuration (env CM_CONFIG; default /etc/config-manager/config.yaml)",
};

/** The flags that override the node configuration, from the parsed options. */
export function flagsOf(opts: SyncFlags): SyncFlags {
  return {
    config: opts.config,
    repo: opts.repo,
    branch: opts.branch,
    cookbook: opts.cookbook,
    interval: opts.interval,
    splay: opts.splay,
    credentials: opts.credentials,
    verifySignatures: opts.verifySignatures,
    trustedKeys: opts.trustedKeys,
  };
}
