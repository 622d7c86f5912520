#!/usr/bin/env bash
# Installs what building and checking the book needs, pinned:
#
#   mdbook 0.5.4, mdbook-mermaid 0.17.1, mdbook-linkcheck2 0.12.0
#                       cargo install --locked into ~/.cargo/bin
#   chromium            Debian's, for the browser checks (book/check.sh)
#   playwright-core     npm ci in book/tests (version in its package-lock.json)
#
# Idempotent and silent when everything is there. Only the cargo installs
# (several minutes, once) and apt need more than a user: as a non-root user
# with apt packages missing it says what to install and fails.
#
#   scripts/install-book-deps.sh            # everything
#   scripts/install-book-deps.sh --mdbook   # only the mdBook tools (make run)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
only_mdbook=false
case "${1:-}" in
  "") ;;
  --mdbook) only_mdbook=true ;;
  -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-book-deps: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

# crate version: the pins of docs/MACHINE.md.
crates=("mdbook 0.5.4" "mdbook-mermaid 0.17.1" "mdbook-linkcheck2 0.12.0")

say() { echo "install-book-deps: $*"; }
fail() { echo "install-book-deps: $*" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"

install_crates() {
  command -v cargo >/dev/null ||
    fail "cargo is missing: install Rust (https://rustup.rs), then run $0 again"
  # `cargo install --list` prints "name vX.Y.Z:" for every installed crate.
  local installed entry name version
  installed="$(cargo install --list 2>/dev/null || true)"
  for entry in "${crates[@]}"; do
    read -r name version <<<"$entry"
    if grep -qx "$name v$version:" <<<"$installed" && [[ -x "$HOME/.cargo/bin/$name" ]]; then
      continue
    fi
    say "cargo install $name $version (compiles for a few minutes, once)"
    # --debug: an unoptimised build compiles in about a quarter of the time
    # (all three: ~5 min instead of ~20 on two busy cores) and still builds
    # this book in about a second.
    cargo install --quiet --locked --debug "$name" --version "$version" ||
      fail "cargo install $name --version $version failed (see above)"
  done
}

# apt_install PACKAGE...: installs the Debian packages that are missing.
apt_install() {
  local missing=() package
  for package in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" == "install ok installed" ]] ||
      missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    fail "missing Debian packages: ${missing[*]}; run as root:  sudo apt-get install ${missing[*]}"
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt (say, a parallel make) instead of failing on its lock.
  local wait_lock=(-o DPkg::Lock::Timeout=600)
  apt-get "${wait_lock[@]}" update -qq --error-on=any
  apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_browser_tools() {
  apt_install chromium
  # Node and npm: any recent ones are fine (playwright-core needs Node 18+).
  command -v npm >/dev/null || apt_install nodejs npm
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  (( major >= 18 )) || fail "Node $major is too old for playwright-core: install Node 18 or newer"
  # npm ci only when node_modules does not match the lockfile already.
  local tests="$repo/book/tests"
  if ! cmp -s "$tests/package-lock.json" "$tests/node_modules/.dsc-lock-installed" 2>/dev/null; then
    say "npm ci in book/tests"
    (cd "$tests" && npm ci --silent --no-audit --no-fund >/dev/null) || fail "npm ci in $tests failed"
    cp "$tests/package-lock.json" "$tests/node_modules/.dsc-lock-installed"
  fi
}

install_crates
$only_mdbook || install_browser_tools
