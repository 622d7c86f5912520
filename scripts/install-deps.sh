#!/usr/bin/env bash
# Installs the Debian packages dsc needs (scripts/apt-packages.txt, plus any
# package names given as arguments). Idempotent and silent when everything
# is already there; as root it installs what is missing, otherwise it says
# what to install and fails.
#
#   scripts/install-deps.sh                     # the project's packages
#   scripts/install-deps.sh clang-format-14     # ... plus extras (make format-check)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/apt-packages.txt" | grep -v '^$')
wanted+=("$@")

missing=()
for package in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root:  sudo $0 $*" >&2
  echo "install-deps:          or:  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# --error-on=any: a failed index download must fail here, not later as a
# puzzling "package not found".
apt-get update -qq --error-on=any
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
