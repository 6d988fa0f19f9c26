#!/usr/bin/env bash
# bootstrap.sh: puts cm on a Debian/Ubuntu machine. Idempotent; `bootstrap.sh --help` for usage.
set -euo pipefail

DENO_VERSION="2.9.6"
CM_BIN="/usr/local/bin/cm"
CONFIG_DIR="/etc/config-manager"
MAN_DIR="/usr/local/share/man/man1"
TIMER_FILE="/etc/systemd/system/config-manager-sync.timer"
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
	cat <<'EOF_USAGE'
bootstrap.sh: puts cm on a Debian/Ubuntu machine (run as root). Idempotent.

Ad hoc (cm apply by hand): installs the binary at /usr/local/bin/cm, its manual page cm(1),
and creates /etc/config-manager and /var/lib/config-manager (0700); no repository, no timer.
  curl -fsSL https://your.host/bootstrap.sh | sudo bash -s -- \
      --binary https://your.host/cm --sha256 HEX

Node (pull-based fleet member): the same, plus git, /etc/config-manager/config.yaml,
a first `cm sync --once` and, once that succeeded, the systemd timer.
  curl -fsSL https://your.host/bootstrap.sh | sudo bash -s -- \
      --repo https://git.example.com/ops/cookbooks.git --binary https://your.host/cm --sha256 HEX

Development machine (in a cm checkout; the default there without other options):
  ./bootstrap.sh --dev        (prefix sudo when not root)
  installs git, curl, ca-certificates, Deno 2.9 (from npm), debootstrap, systemd-container,
  shellcheck, hyperfine, groff (the manual page test), the monitoring tests' prometheus
  (promtool), prometheus-node-exporter and exim4-daemon-light (a local MTA behind sendmail),
  and caches the checkout's npm dependencies.

Options:
  --binary PATH|URL   cm to install (a URL needs --sha256); in a checkout, default: its dist/cm.
                      It must answer `--version` before it replaces an installed cm.
  --sha256 HEX        expected SHA-256 of --binary (64 hex digits)
  --repo URL          git repository of cookbooks (node mode)
  --branch NAME       branch to follow (default main)
  --cookbook PATH     cookbook in the repository, repeatable (default nodes/<fqdn>.yaml,
                      else nodes/<hostname>.yaml, else default.yaml)
  --interval DURATION time between syncs: seconds or 30s, 5m, 1h (default 300)
  --splay DURATION    random delay up to this before each sync (default 60)
  --credentials FILE  SSH key or HTTPS token for the repository (mode 0600)
  --no-sync           write everything, skip the first sync and enable the timer at once
  --dev               development machine set-up
  -h, --help          this help
EOF_USAGE
	exit "${1:-0}"
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

# Fetches or copies the binary next to $CM_BIN (not into /tmp, which may be noexec), checks its
# SHA-256 and that it answers --version, and only then puts it in place.
install_binary() { # source sha256
	local source="$1" sum="$2" new="$CM_BIN.bootstrap-new" version
	install -d -m 0755 "${CM_BIN%/*}"
	# shellcheck disable=SC2064 # expand now: the path is fixed
	trap "rm -f '$new'" EXIT
	case "$source" in
	http://* | https://*)
		[[ -n "$sum" ]] || die "--binary from a URL needs --sha256"
		apt_install curl ca-certificates
		log "downloading $source"
		curl -fsSL --retry 3 -o "$new" "$source"
		;;
	*)
		[[ -f "$source" ]] || die "--binary $source: no such file"
		cp "$source" "$new"
		;;
	esac
	if [[ -n "$sum" ]]; then
		local actual
		actual="$(sha256_of "$new")"
		[[ "$actual" == "${sum,,}" ]] || die "SHA-256 mismatch for $source: expected $sum, got $actual"
		log "SHA-256 verified"
	fi
	chmod 0755 "$new"
	local code=0
	version="$("$new" --version 2>&1)" || code=$?
	version="${version%%$'\n'*}"
	if ((code != 0)) || [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(\ |$) ]]; then
		die "$source is not a working cm (--version exited $code: \"${version:0:200}\"); $CM_BIN was left as it was"
	fi
	if [[ -f "$CM_BIN" ]] && cmp -s "$new" "$CM_BIN"; then
		log "$CM_BIN is up to date: cm $version"
		return 0
	fi
	mv -f "$new" "$CM_BIN"
	log "installed $CM_BIN: cm $version"
}

# The binary to install: --binary, else the checkout's dist/cm (built here when deno is at hand).
binary_source() {
	if [[ -n "$BINARY" ]]; then
		printf '%s\n' "$BINARY"
		return 0
	fi
	local checkout
	checkout="$(checkout_dir)"
	[[ -n "$checkout" ]] || die "--binary PATH_OR_URL (with --sha256 for a URL) is required outside a cm checkout"
	if [[ ! -f "$checkout/dist/cm" ]]; then
		deno_ok || die "no $checkout/dist/cm: build it with 'deno task compile' and give --binary"
		log "building $checkout/dist/cm (deno task compile)"
		(cd "$checkout" && deno task compile >&2) || die "deno task compile failed in $checkout"
	fi
	printf '%s\n' "$checkout/dist/cm"
}

make_dirs() {
	install -d -m 0700 "$CONFIG_DIR" "$STATE_DIR"
	chmod 0700 "$CONFIG_DIR" "$STATE_DIR"
}

yaml_quote() { # a YAML double-quoted scalar (JSON-compatible)
	local s="$1"
	s="${s//\\/\\\\}"
	s="${s//\"/\\\"}"
	printf '"%s"' "$s"
}

# Whether a node configuration is as bootstrap wrote it: its checksum line matches the rest.
config_unedited() { # file
	local recorded
	recorded="$(sed -n '2s/^# bootstrap sha256 \([0-9a-f]\{64\}\)$/\1/p' "$1")"
	[[ -n "$recorded" && "$recorded" == "$(tail -n +3 "$1" | sha256sum | cut -d' ' -f1)" ]]
}

# The node configuration from the options. One edited since bootstrap wrote it is kept: running
# bootstrap again to upgrade cm must not drop a cookbooks: or vars_file: added by hand.
write_config() {
	local body tmp cookbook target="$CONFIG_DIR/config.yaml"
	body="$(mktemp)"
	{
		printf 'repo: %s\n' "$(yaml_quote "$REPO")"
		printf 'branch: %s\n' "$(yaml_quote "$BRANCH")"
		if ((${#COOKBOOKS[@]})); then
			printf 'cookbooks:\n'
			for cookbook in "${COOKBOOKS[@]}"; do printf '  - %s\n' "$(yaml_quote "$cookbook")"; done
		fi
		printf 'interval: %s\n' "$INTERVAL"
		printf 'splay: %s\n' "$SPLAY"
		if [[ -n "$CREDENTIALS" ]]; then printf 'credentials: %s\n' "$(yaml_quote "$CREDENTIALS")"; fi
	} >"$body"
	tmp="$(mktemp)"
	{
		printf '# cm sync node configuration, written by bootstrap.sh (cm sync --help); kept once edited\n'
		printf '# bootstrap sha256 %s\n' "$(sha256_of "$body")"
		cat "$body"
	} >"$tmp"
	rm -f "$body"
	if [[ -f "$target" ]] && ! cmp -s "$tmp" "$target" && ! config_unedited "$target"; then
		log "kept $target: edited since bootstrap wrote it, so these options were not written (edit it, or remove it and run bootstrap again)"
	else
		install_file_if_changed "$tmp" "$target" 0600
	fi
	rm -f "$tmp"
}

# cm(1), from the installed cm itself: the systemd units name it as their documentation.
install_manual() {
	local tmp
	tmp="$(mktemp)"
	if ! "$CM_BIN" help --man >"$tmp"; then
		rm -f "$tmp"
		die "$CM_BIN help --man failed"
	fi
	install -d -m 0755 "$MAN_DIR"
	install_file_if_changed "$tmp" "$MAN_DIR/cm.1" 0644
	rm -f "$tmp"
}

adhoc_setup() {
	need_root
	local source
	source="$(binary_source)"
	install_binary "$source" "$SHA256"
	install_manual
	make_dirs
	log "cm ready: cm apply COOKBOOK (cm --help, man cm)"
}

node_setup() {
	need_root
	[[ -n "$REPO" ]] || die "--repo URL is required for a node"
	apt_install git ca-certificates
	local source
	source="$(binary_source)"
	install_binary "$source" "$SHA256"
	install_manual
	make_dirs
	write_config
	if ((RUN_SYNC)); then
		log "first sync: $CM_BIN sync --once"
		local code=0
		"$CM_BIN" sync --once || code=$?
		if ((code != 0)); then
			if [[ -f "$TIMER_FILE" ]]; then
				log "the sync exited $code (cm status tells why): the timer installed before still runs it every interval; fix the cause"
			else
				log "the first sync exited $code (cm status tells why): the timer is not enabled; fix the cause and run bootstrap again"
			fi
			exit "$code"
		fi
	fi
	if [[ -d /run/systemd/system ]]; then
		"$CM_BIN" timer install --cm-path "$CM_BIN"
	else
		log "systemd is not running here: timer not installed (run cm timer install once it is)"
	fi
	log "node ready: $CM_BIN status"
}

# ---- dev mode ----------------------------------------------------------------

dev_setup() {
	need_root
	local checkout
	checkout="$(checkout_dir)"
	apt_install git curl ca-certificates debootstrap systemd-container shellcheck hyperfine groff-base \
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
	if [[ -n "$checkout" ]]; then
		# The main job on the bundled example, by the file operators install: a plan reads only.
		log "building dist/cm and planning cookbooks/hello-web.yaml with it (reads only)"
		(cd "$checkout" && deno task --quiet dist && ./dist/cm plan cookbooks/hello-web.yaml) ||
			die "dist/cm did not build or could not plan the bundled example (output above)"
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
# Options that only a node (--repo) uses: refused elsewhere rather than ignored.
NODE_ONLY=()

while (($#)); do
	case "$1" in
	--dev) MODE=dev ;;
	--repo) REPO="${2:?--repo needs a URL}" && shift ;;
	--branch) BRANCH="${2:?--branch needs a name}" && NODE_ONLY+=("$1") && shift ;;
	--binary) BINARY="${2:?--binary needs a path or URL}" && shift ;;
	--sha256) SHA256="${2:?--sha256 needs a hex digest}" && shift ;;
	--cookbook) COOKBOOKS+=("${2:?--cookbook needs a path in the repository}") && NODE_ONLY+=("$1") && shift ;;
	--interval) INTERVAL="${2:?--interval needs a duration}" && NODE_ONLY+=("$1") && shift ;;
	--splay) SPLAY="${2:?--splay needs a duration}" && NODE_ONLY+=("$1") && shift ;;
	--credentials) CREDENTIALS="${2:?--credentials needs a file}" && NODE_ONLY+=("$1") && shift ;;
	--no-sync) RUN_SYNC=0 && NODE_ONLY+=("$1") ;;
	-h | --help) usage 0 ;;
	*)
		printf 'bootstrap: unknown argument: %s\n' "$1" >&2
		usage 2 >&2
		;;
	esac
	shift
done

# A duration as the config file takes it (seconds, or a number with s, m or h) in milliseconds;
# fails for anything else. Nine digits at most: bash's arithmetic would wrap silently past 2^63.
duration_ms() {
	[[ "$1" =~ ^([0-9]{1,9})(\.([0-9]{1,3}))?([smh]?)$ ]] || return 1
	local fraction="${BASH_REMATCH[3]}000" unit="${BASH_REMATCH[4]}" scale=1
	[[ "$unit" == m ]] && scale=60
	[[ "$unit" == h ]] && scale=3600
	printf '%s\n' $(((10#${BASH_REMATCH[1]} * 1000 + 10#${fraction:0:3}) * scale))
}

# The range cm takes (src/text.ts MAX_WAIT_SECONDS): one out of it written to the node
# configuration would stop every sync of a node bootstrapped before, its timer included.
for duration in "--interval $INTERVAL 1" "--splay $SPLAY 0"; do
	read -r flag value min <<<"$duration"
	if ! ms="$(duration_ms "$value")" || ((ms < min * 1000 || ms > 2000000 * 1000)); then
		die "$flag expects seconds or a duration like 30s, 5m, 1h, from $min s to 23 days (2000000 s), got \"$value\""
	fi
done
if [[ -n "$SHA256" && ! "$SHA256" =~ ^[0-9a-fA-F]{64}$ ]]; then die "--sha256 expects 64 hex digits"; fi
# What cm refuses (src/sync/config.ts hasUrlSecret), refused before it is written to config.yaml.
if [[ "$REPO" =~ ^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)@ ]] &&
	[[ "${BASH_REMATCH[2]}" == *:* || "${BASH_REMATCH[1],,}" =~ ^https?$ ]]; then
	die "--repo: a password, or a user name in an https URL (often a token), must not be in the URL: put user:token in a root-only file and give --credentials FILE"
fi
if [[ -n "$SHA256" && -z "$BINARY" ]]; then die "--sha256 checks --binary: give both"; fi
if [[ -z "$MODE" ]]; then
	if [[ -n "$REPO" ]]; then
		MODE=node
	elif [[ -n "$BINARY" ]]; then
		MODE=adhoc
	elif [[ -n "$(checkout_dir)" ]]; then
		MODE=dev
	else
		die "give --binary URL --sha256 HEX (ad hoc), and --repo URL (node); bootstrap.sh --help"
	fi
fi

if [[ "$MODE" != node && ${#NODE_ONLY[@]} -gt 0 ]]; then
	what="an ad hoc"
	[[ "$MODE" == dev ]] && what="a development"
	die "refusing ${NODE_ONLY[*]} without --repo: only a node set-up syncs; $what set-up has no sync timer"
fi

case "$MODE" in
adhoc) adhoc_setup ;;
node) node_setup ;;
dev) dev_setup ;;
esac
