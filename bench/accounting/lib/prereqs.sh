# shellcheck shell=bash
# Prerequisites of the accounting benchmark: Node 24, the Debian packages, and a writable copy of
# the peers (../shared/peers is read-only and has no node_modules) with its modules installed.
# Source it; it defines functions only.

RG_CACHE=${RG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/recharge-gateway}
BENCH_DEBS=(freeradius freeradius-utils freeradius-postgresql postgresql-15)

bench_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "ERROR: $*"; exit 1; }

require_node24() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  (( major >= 24 )) || bench_die "Node >= 24 needed (found '$(node --version 2>/dev/null || echo none)'); put Node 24 first on PATH"
}

# Installs missing Debian packages with apt-get (as root, or through sudo), or fails saying which.
require_debian_packages() {
  local missing=() pkg
  for pkg in "${BENCH_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  (( ${#missing[@]} == 0 )) && return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null \
      || bench_die "missing Debian packages: ${missing[*]} (run: apt-get install -y ${missing[*]})"
    sudo=(sudo -n)
  fi
  bench_log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || bench_die "apt-get install ${missing[*]} failed"
  fi
  # The packaged service is not wanted: the benchmark starts its own FreeRADIUS.
  "${sudo[@]}" systemctl disable --now freeradius >/dev/null 2>&1 || true
}

# prepare_peers SRC: copies SRC (the peers dir) to $RG_CACHE/peers-bench/peers, installs its node
# modules there (npm ci, redone only when package-lock.json changes) and sets PEERS (the copy).
# The peers' lib/common.sh looks for node_modules next to itself, hence a whole copy.
prepare_peers() {
  local src=$1 dst=$RG_CACHE/peers-bench/peers item stamp want
  [[ -f $src/lib/common.sh && -f $src/package-lock.json ]] || bench_die "peers not found at $src (set PEERS_SRC)"
  mkdir -p "$dst"
  for item in "$src"/* "$src"/.gitignore; do
    [[ -e $item ]] || continue
    [[ $(basename "$item") == node_modules ]] && continue
    rm -rf "${dst:?}/$(basename "$item")"
    cp -R "$item" "$dst/"
  done
  chmod -R u+w "$dst"
  want=$(sha256sum "$dst/package-lock.json" | cut -d' ' -f1)
  stamp=$dst/node_modules/.bench-lock-sha256
  if [[ ! -d $dst/node_modules/radius || ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    bench_log "installing the peers' node modules into $dst/node_modules (npm ci)"
    (cd "$dst" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || bench_die "npm ci in $dst failed"
    echo "$want" >"$stamp"
  fi
  PEERS=$dst
  export PEERS
}
