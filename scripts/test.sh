#!/usr/bin/env bash
# Runs Gatehouse's full test suite. It first installs what the tests need and is missing: Debian packages (xmlsec1
# to verify signatures independently, Chromium for browser tests, PostgreSQL for the second store) and npm
# packages. Tests that need a tool skip with a loud message when it is missing; with CI=true they fail instead.
#
#   scripts/test.sh              the whole suite
#   scripts/test.sh ./saml/...   only some packages (any go test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$PATH"
debian_packages=(xmlsec1 chromium postgresql)

missing=()
for p in "${debian_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	if command -v apt-get >/dev/null 2>&1; then
		sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		echo "test.sh: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get -o DPkg::Lock::Timeout=600 update -q
		$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
	else
		echo "test.sh: cannot install ${missing[*]} (no apt-get); the tests that need them will skip (or fail with CI=true)" >&2
	fi
fi

go version
go vet ./...
args=("$@")
[ "${#args[@]}" -gt 0 ] || args=(./...)
go test -count=1 -timeout 25m "${args[@]}"
