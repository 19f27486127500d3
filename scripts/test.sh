#!/usr/bin/env bash
# Runs Gatehouse's full test suite. It first installs what the tests need and is missing: Debian packages (xmlsec1
# to verify signatures independently, Chromium for browser tests, PostgreSQL for the second store, and the SAML
# service providers of the interoperability suite in interop/: Shibboleth SP 3 with Apache, SimpleSAMLphp with PHP,
# pysaml2, and Node.js with npm for @node-saml/node-saml and the SCIM references; Prometheus, whose promtool checks
# the metrics and whose server scrapes them; aiosmtpd, the SMTP server the e-mail tests send to) and npm packages
# (axe-core for the browser tests' accessibility checks, the SP and SCIM references).
# Tests that need a tool skip with a loud message when it is missing; with CI=true they fail instead.
#
#   scripts/test.sh              the whole suite
#   scripts/test.sh ./saml/...   only some packages (any go test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$PATH"
debian_packages=(xmlsec1 chromium postgresql
	libapache2-mod-shib apache2 simplesamlphp php-cli php-xml php-mbstring php-curl python3-pysaml2
	prometheus python3-aiosmtpd)
# Node.js and npm may come from elsewhere than Debian (a nodejs package that bundles npm conflicts with Debian's npm):
# ask for Debian's only when the command is missing.
command -v node >/dev/null 2>&1 || debian_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || debian_packages+=(npm)

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

# The node SP's packages, from its lockfile, into the cache directory the interop tests use.
node_sp=interop/testdata/node-sp
if command -v npm >/dev/null 2>&1; then
	node_sp_hash=$(cat "$node_sp/package.json" "$node_sp/package-lock.json" | sha256sum | cut -c1-12)
	node_sp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-interop/node-sp-$node_sp_hash"
	if [ ! -f "$node_sp_dir/node_modules/@node-saml/node-saml/package.json" ]; then
		echo "test.sh: npm ci for $node_sp"
		mkdir -p "$node_sp_dir"
		cp "$node_sp/package.json" "$node_sp/package-lock.json" "$node_sp_dir/"
		npm ci --prefix "$node_sp_dir" --no-audit --no-fund --ignore-scripts
	fi
fi

# The independent SCIM references of the SCIM tests (scim-patch, scim2-parse-filter, scimmy), from their lockfile,
# into the cache directory internal/scimref uses.
scim_ref=internal/scimref/testdata
if command -v npm >/dev/null 2>&1; then
	scim_ref_hash=$(cat "$scim_ref/package.json" "$scim_ref/package-lock.json" | sha256sum | cut -c1-12)
	scim_ref_dir="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-scim/reference-$scim_ref_hash"
	if [ ! -f "$scim_ref_dir/node_modules/scimmy/package.json" ]; then
		echo "test.sh: npm ci for $scim_ref"
		mkdir -p "$scim_ref_dir"
		cp "$scim_ref/package.json" "$scim_ref/package-lock.json" "$scim_ref_dir/"
		npm ci --prefix "$scim_ref_dir" --no-audit --no-fund --ignore-scripts
	fi
fi

# axe-core, which the browser tests inject into every page to check its accessibility, from its lockfile, into the
# cache directory internal/browsertest uses.
axe=internal/browsertest/testdata
if command -v npm >/dev/null 2>&1; then
	axe_hash=$(cat "$axe/package.json" "$axe/package-lock.json" | sha256sum | cut -c1-12)
	axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-browser/axe-$axe_hash"
	if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
		echo "test.sh: npm ci for $axe"
		mkdir -p "$axe_dir"
		cp "$axe/package.json" "$axe/package-lock.json" "$axe_dir/"
		npm ci --prefix "$axe_dir" --no-audit --no-fund --ignore-scripts
	fi
fi

go version
go vet ./...
args=("$@")
[ "${#args[@]}" -gt 0 ] || args=(./...)
# The interop tests write their matrix (SP x check) here; it is printed at the end, pass or fail.
INTEROP_MATRIX=$(mktemp)
export INTEROP_MATRIX
print_matrix() {
	if [ -s "$INTEROP_MATRIX" ]; then
		echo
		echo "Interoperability matrix (interop/):"
		cat "$INTEROP_MATRIX"
	fi
	rm -f "$INTEROP_MATRIX"
}
trap print_matrix EXIT
# Browser tests save screenshots of the key screens here (git ignores it).
export GATEHOUSE_ARTIFACTS="${GATEHOUSE_ARTIFACTS:-$PWD/artifacts}"
echo "test.sh: test artifacts (screenshots) go to $GATEHOUSE_ARTIFACTS"
go test -count=1 -timeout 25m "${args[@]}"
