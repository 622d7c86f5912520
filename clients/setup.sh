#!/usr/bin/env bash
# Prepares the client examples: the Python virtual environment
# (clients/python/.venv, from requirements.txt) and the TypeScript build
# (clients/ts/node_modules and clients/ts/dist). Idempotent, and silent when
# everything is up to date; `make deps` runs it.
#
#   clients/setup.sh
#
# Needs python3 with its venv module (Debian: python3-venv, which
# scripts/install-deps.sh installs), and Node.js 18+ with npm. When `node`
# is absent and we are root, it installs Debian's nodejs and npm; a node
# from elsewhere (nodesource, nvm) is used as it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() {
  echo "clients/setup.sh: $*" >&2
  exit 1
}

# Runs a command with its output hidden, unless it fails.
quietly() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  [[ $status -eq 0 ]] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

setup_python() {
  local venv="$here/python/.venv" requirements="$here/python/requirements.txt"
  local stamp="$here/python/.venv/.requirements.sha256"
  local want
  want="$(hash_of "$requirements")"
  [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0

  command -v python3 >/dev/null ||
    fail "python3 is missing (Debian: apt-get install python3 python3-venv, or run make deps as root)"
  python3 -c 'import ensurepip, venv' 2>/dev/null ||
    fail "python3 cannot create virtual environments (Debian: apt-get install python3-venv, or run make deps as root)"
  echo "clients: installing the Python requirements into clients/python/.venv"
  [[ -x "$venv/bin/python" ]] || quietly python3 -m venv --clear "$venv"
  quietly "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
    --require-hashes -r "$requirements" || fail "pip install failed (output above)"
  echo "$want" >"$stamp"
}

install_debian_node() {
  [[ $(id -u) -eq 0 ]] ||
    fail "node is missing: install Node.js 18 or newer with npm (Debian: sudo apt-get install nodejs npm)"
  echo "clients: installing Debian's nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  quietly apt-get update -qq --error-on=any || fail "apt-get update failed (output above)"
  quietly apt-get install -y -qq --no-install-recommends nodejs npm ||
    fail "apt-get install nodejs npm failed (output above)"
}

setup_typescript() {
  local ts="$here/ts"
  command -v node >/dev/null || install_debian_node
  command -v npm >/dev/null ||
    fail "npm is missing beside $(command -v node) ($(node --version)): install the npm that goes with it"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 18)) || fail "Node.js $(node --version) is too old: the clients need 18 or newer"

  # node_modules: reinstalled exactly from package-lock.json when the lock changed.
  local lock_stamp="$ts/node_modules/.dsc-package-lock.sha256" want
  want="$(hash_of "$ts/package-lock.json")"
  if [[ ! -f "$lock_stamp" || "$(cat "$lock_stamp")" != "$want" ]]; then
    echo "clients: installing the TypeScript packages (npm ci) in clients/ts"
    (cd "$ts" && quietly npm ci --no-audit --no-fund) || fail "npm ci failed (output above)"
    echo "$want" >"$lock_stamp"
  fi

  # dist: rebuilt when anything it is built from is newer than the last build
  # (the src directory itself changes when a file is added or removed).
  local built="$ts/dist/.built"
  if [[ ! -f "$built" ||
    -n "$(find "$ts/src" "$ts/tsconfig.json" "$ts/package-lock.json" -newer "$built" -print -quit)" ]]; then
    echo "clients: building clients/ts (npm run build)"
    rm -rf "$ts/dist"
    (cd "$ts" && quietly npm run build) || fail "the TypeScript build failed (output above)"
    touch "$built"
  fi
}

setup_python
setup_typescript
