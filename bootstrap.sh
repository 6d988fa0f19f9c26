#!/usr/bin/env bash
# bootstrap.sh: set up a fresh Debian/Ubuntu machine for cm. Idempotent.
#
# Node (pull-based fleet member):
#   curl -fsSL https://example.com/bootstrap.sh | sudo bash -s -- \
#       --repo https://git.example.com/ops/cookbooks.git [--branch main] \
#       [--binary /path/or/https://url/cm --sha256 HEX] [--cookbook nodes/web.yaml]... \
#       [--interval 300] [--splay 60] [--credentials /root/deploy-token]
#   Installs git, places cm at /usr/local/bin/cm (the given binary, checked
#   against --sha256; or, run from a cm checkout without --binary, a wrapper
#   running the checkout's main.ts under cm's permission flags), creates
#   /etc/config-manager and /var/lib/config-manager (0700), writes
#   /etc/config-manager/config.yaml, installs the systemd timer and runs the
#   first `cm sync --once`.
#
# Development machine (--dev; the default in a checkout without --repo):
#   sudo ./bootstrap.sh --dev
#   Installs git, curl, ca-certificates, Deno 2.9 (from npm when missing),
#   debootstrap, systemd-container, shellcheck, hyperfine, the monitoring
#   tests' prometheus (promtool), prometheus-node-exporter and
#   exim4-daemon-light (a local MTA behind sendmail), and caches the npm
#   dependencies of the checkout.
set -euo pipefail

DENO_VERSION="2.9.6"
CM_BIN="/usr/local/bin/cm"
CONFIG_DIR="/etc/config-manager"
STATE_DIR="/var/lib/config-manager"
export DEBIAN_FRONTEND=noninteractive
# Let Deno trust the system's CA store as well as its own: networks that
# intercept TLS put their CA there, and npm (Debian's node) already trusts it.
export DENO_TLS_CA_STORE="${DENO_TLS_CA_STORE:-mozilla,system}"

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
	printf 'bootstrap: error: %s\n' "$*" >&2
	exit 1
}

usage() {
	sed -n '2,23p' "${BASH_SOURCE[0]:-/dev/null}" 2>/dev/null | sed 's/^# \{0,1\}//' >&2 || true
	exit "${1:-2}"
}

# The checkout this script lives in, if any (empty under `curl | bash`).
checkout_dir() {
	local src="${BASH_SOURCE[0]:-}"
	[[ -n "$src" && -f "$src" ]] || return 0
	local dir
	dir="$(cd "$(dirname "$src")" && pwd)"
	if [[ -f "$dir/main.ts" && -f "$dir/src/permissions.ts" && -f "$dir/deno.json" ]]; then
		printf '%s\n' "$dir"
	fi
}

# ---- apt ---------------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_lists_fresh() {
	[[ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]]
}

apt_install() {
	local missing=() pkg
	for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
	if ((${#missing[@]} == 0)); then return 0; fi
	if ! apt_lists_fresh; then
		log "apt-get update"
		apt-get update -qq
	fi
	log "apt-get install ${missing[*]}"
	apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
}

need_root() {
	[[ "$(id -u)" -eq 0 ]] || die "run as root (sudo bash bootstrap.sh ...)"
}

# ---- deno --------------------------------------------------------------------

deno_ok() {
	command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n 1 | grep -q "^deno ${DENO_VERSION%.*}\."
}

ensure_deno() {
	if deno_ok; then return 0; fi
	if ! command -v npm >/dev/null 2>&1; then apt_install npm; fi
	log "npm install -g deno@${DENO_VERSION}"
	npm install -g --no-fund --no-audit "deno@${DENO_VERSION}" >/dev/null
	hash -r
	deno_ok || die "deno ${DENO_VERSION} is not on PATH after npm install -g (npm prefix: $(npm prefix -g))"
}

# ---- node mode ---------------------------------------------------------------

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

install_file_if_changed() { # src dest mode
	if [[ -f "$2" ]] && cmp -s "$1" "$2"; then
		log "$2 is up to date"
		return 0
	fi
	install -m "$3" "$1" "$2.bootstrap-new"
	mv -f "$2.bootstrap-new" "$2"
	log "installed $2"
}

install_binary() { # source sha256
	local source="$1" sum="$2" tmp
	tmp="$(mktemp)"
	# shellcheck disable=SC2064 # expand now: the path is fixed
	trap "rm -f '$tmp'" RETURN
	case "$source" in
	http://* | https://*)
		[[ -n "$sum" ]] || die "--binary from a URL needs --sha256"
		apt_install curl ca-certificates
		log "downloading $source"
		curl -fsSL --retry 3 -o "$tmp" "$source"
		;;
	*)
		[[ -f "$source" ]] || die "--binary $source: no such file"
		cp "$source" "$tmp"
		;;
	esac
	if [[ -n "$sum" ]]; then
		local actual
		actual="$(sha256_of "$tmp")"
		[[ "$actual" == "${sum,,}" ]] || die "SHA-256 mismatch for $source: expected $sum, got $actual"
		log "SHA-256 verified"
	fi
	install_file_if_changed "$tmp" "$CM_BIN" 0755
}

install_wrapper() { # checkout
	local checkout="$1" deno_bin deno_dir flags tmp
	ensure_deno
	deno_bin="$(command -v deno)"
	deno_bin="$(readlink -f "$deno_bin")"
	(cd "$checkout" && deno install --quiet) || die "deno install (npm dependencies) failed in $checkout"
	deno_dir="$(cd "$checkout" && deno info --json | sed -n 's/^ *"denoDir": *"\(.*\)",\{0,1\}$/\1/p' | head -n 1)"
	[[ -n "$deno_dir" ]] || die "cannot find deno's cache directory"
	# The permission flags come from src/permissions.ts, the one place they live.
	flags="$(cd "$checkout" && deno eval --quiet \
		"import { PERMISSION_FLAGS } from './src/permissions.ts'; for (const f of PERMISSION_FLAGS) console.log(f);")"
	[[ -n "$flags" ]] || die "cannot read the permission flags from $checkout/src/permissions.ts"
	tmp="$(mktemp)"
	{
		printf '#!/bin/sh\n'
		printf '# cm from the checkout %s, under the permission flags of src/permissions.ts (written by bootstrap.sh)\n' "$checkout"
		printf 'DENO_DIR=%q\nexport DENO_DIR\n' "$deno_dir"
		printf 'exec %q run --quiet' "$deno_bin"
		while IFS= read -r flag; do printf ' %q' "$flag"; done <<<"$flags"
		printf ' %q "$@"\n' "$checkout/main.ts"
	} >"$tmp"
	install_file_if_changed "$tmp" "$CM_BIN" 0755
	rm -f "$tmp"
}

yaml_quote() { # a YAML double-quoted scalar (JSON-compatible)
	local s="$1"
	s="${s//\\/\\\\}"
	s="${s//\"/\\\"}"
	printf '"%s"' "$s"
}

write_config() {
	local tmp cookbook
	tmp="$(mktemp)"
	{
		printf '# cm sync node configuration, written by bootstrap.sh (cm sync --help)\n'
		printf 'repo: %s\n' "$(yaml_quote "$REPO")"
		printf 'branch: %s\n' "$(yaml_quote "$BRANCH")"
		if ((${#COOKBOOKS[@]})); then
			printf 'cookbooks:\n'
			for cookbook in "${COOKBOOKS[@]}"; do printf '  - %s\n' "$(yaml_quote "$cookbook")"; done
		fi
		printf 'interval: %s\n' "$INTERVAL"
		printf 'splay: %s\n' "$SPLAY"
		if [[ -n "$CREDENTIALS" ]]; then printf 'credentials: %s\n' "$(yaml_quote "$CREDENTIALS")"; fi
	} >"$tmp"
	install_file_if_changed "$tmp" "$CONFIG_DIR/config.yaml" 0600
	rm -f "$tmp"
}

node_setup() {
	need_root
	[[ -n "$REPO" ]] || die "--repo URL is required for a node"
	[[ "$INTERVAL" =~ ^[0-9]+$ && "$SPLAY" =~ ^[0-9]+$ ]] || die "--interval and --splay take whole seconds"
	apt_install git ca-certificates
	local checkout
	checkout="$(checkout_dir)"
	if [[ -n "$BINARY" ]]; then
		install_binary "$BINARY" "$SHA256"
	elif [[ -n "$checkout" ]]; then
		install_wrapper "$checkout"
	else
		die "--binary PATH_OR_URL --sha256 HEX is required outside a cm checkout"
	fi
	install -d -m 0700 "$CONFIG_DIR" "$STATE_DIR"
	chmod 0700 "$CONFIG_DIR" "$STATE_DIR"
	write_config
	if [[ -d /run/systemd/system ]]; then
		"$CM_BIN" timer install --cm-path "$CM_BIN"
	else
		log "systemd is not running here: timer not installed (run cm timer install once it is)"
	fi
	if ((RUN_SYNC)); then
		log "first sync: $CM_BIN sync --once"
		local code=0
		"$CM_BIN" sync --once || code=$?
		if ((code != 0)); then
			log "the first sync exited $code (cm status tells why); the timer will retry"
			exit "$code"
		fi
	fi
	log "node ready: $CM_BIN status"
}

# ---- dev mode ----------------------------------------------------------------

dev_setup() {
	need_root
	local checkout
	checkout="$(checkout_dir)"
	apt_install git curl ca-certificates debootstrap systemd-container shellcheck hyperfine \
		prometheus prometheus-node-exporter exim4-daemon-light
	ensure_deno
	if [[ -n "$checkout" ]]; then
		log "caching npm dependencies (deno install) in $checkout"
		(cd "$checkout" && deno install --quiet) || die "deno install (npm dependencies) failed in $checkout"
		if [[ -n "${SUDO_USER:-}" && "$SUDO_USER" != root ]] && command -v sudo >/dev/null 2>&1; then
			(cd "$checkout" && sudo -u "$SUDO_USER" -H env DENO_TLS_CA_STORE="$DENO_TLS_CA_STORE" deno install --quiet) ||
				log "could not cache the npm dependencies for $SUDO_USER (they download on first use)"
		fi
	fi
	log "development machine ready: $(deno --version | head -n 1), $(git --version)"
}

# ---- arguments ---------------------------------------------------------------

MODE=""
REPO=""
BRANCH="main"
BINARY=""
SHA256=""
COOKBOOKS=()
INTERVAL=300
SPLAY=60
CREDENTIALS=""
RUN_SYNC=1

while (($#)); do
	case "$1" in
	--dev) MODE=dev ;;
	--repo) REPO="${2:?--repo needs a URL}" && shift ;;
	--branch) BRANCH="${2:?--branch needs a name}" && shift ;;
	--binary) BINARY="${2:?--binary needs a path or URL}" && shift ;;
	--sha256) SHA256="${2:?--sha256 needs a hex digest}" && shift ;;
	--cookbook) COOKBOOKS+=("${2:?--cookbook needs a path in the repository}") && shift ;;
	--interval) INTERVAL="${2:?--interval needs seconds}" && shift ;;
	--splay) SPLAY="${2:?--splay needs seconds}" && shift ;;
	--credentials) CREDENTIALS="${2:?--credentials needs a file}" && shift ;;
	--no-sync) RUN_SYNC=0 ;;
	-h | --help) usage 0 ;;
	*)
		printf 'bootstrap: unknown argument: %s\n' "$1" >&2
		usage 2
		;;
	esac
	shift
done

if [[ -n "$SHA256" && ! "$SHA256" =~ ^[0-9a-fA-F]{64}$ ]]; then die "--sha256 expects 64 hex digits"; fi
if [[ -z "$MODE" ]]; then
	if [[ -n "$REPO" ]]; then
		MODE=node
	elif [[ -n "$(checkout_dir)" ]]; then
		MODE=dev
	else
		die "give --repo URL (node set-up) or --dev (development machine, in a cm checkout)"
	fi
fi

case "$MODE" in
node) node_setup ;;
dev) dev_setup ;;
esac
