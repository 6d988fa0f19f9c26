/**
 * What `cm sync` and `cm timer install` share: the node configuration flag,
 * the reader behind it, and its flags as overrides.
 *
 * @module
 */
import { Option } from "commander";
import type { SyncFlags } from "../../sync/config.ts";

/** The node configuration reader, loaded with its YAML parser only when a command needs it. */
export const nodeConfig = () => import("../../sync/config.ts");

/** `--config FILE`. */
export function configOption(): Option {
  return new Option(
    "--config <file>",
    "node configuration (env CM_CONFIG; default /etc/config-manager/config.yaml)",
  );
}

/** The flags that override the node configuration, from commander's parsed options. */
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
