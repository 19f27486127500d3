#!/usr/bin/env bash
# Runs Gatehouse's full test suite. It first installs what the tests need and is missing: Debian packages (xmlsec1
# to verify signatures independently, Chromium for browser tests, PostgreSQL for the second store, and the SAML
# service providers of the interoperability suite in interop/: Shibboleth SP 3 with Apache, SimpleSAMLphp with PHP,
# pysaml2, and Node.js with npm for @node-saml/node-saml and the SCIM references; Prometheus, whose promtool checks
# the metrics and whose server scrapes them; aiosmtpd, the SMTP server the e-mail tests send to), npm packages (axe-core
# for the browser tests' accessibility checks, the SP and SCIM references), and the static checks staticcheck and
# govulncheck at pinned versions. Tests that need a tool skip with a loud message when it is missing; with CI=true
# they fail instead. go vet, staticcheck and govulncheck check the whole module and fail the run on any finding
# (govulncheck's known and explained exceptions are listed in scripts/govulncheck-accepted.txt).
#
#   scripts/test.sh              the whole suite
#   scripts/test.sh ./saml/...   only some packages (any go test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="/usr/local/go/bin:$PATH"
# Build and test with the Go release go.mod asks for (its toolchain line: the standard library's security fixes),
# which the go command fetches from the Go module proxy when the installed Go is older.
export GOTOOLCHAIN=auto
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

# npm_ci SRC CACHE MARKER installs the npm packages of the test data folder SRC from its lockfile into
# $XDG_CACHE_HOME/CACHE-<hash of the package files>, the folder the tests that use them look in, unless the file
# MARKER (a path inside node_modules) shows they are there already.
npm_ci() {
	local src=$1 cache=$2 marker=$3 hash dir
	command -v npm >/dev/null 2>&1 || return 0
	hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-12)
	dir="${XDG_CACHE_HOME:-$HOME/.cache}/$cache-$hash"
	[ -f "$dir/node_modules/$marker" ] && return 0
	echo "test.sh: npm ci for $src"
	mkdir -p "$dir"
	cp "$src/package.json" "$src/package-lock.json" "$dir/"
	npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts
}
# The node SP of the interop tests.
npm_ci interop/testdata/node-sp gatehouse-interop/node-sp @node-saml/node-saml/package.json
# The openid-client relying party of the interop tests.
npm_ci interop/testdata/openid-client gatehouse-interop/openid-client openid-client/package.json
# The independent SCIM references of the SCIM tests (scim-patch, scim2-parse-filter, scimmy; internal/scimref).
npm_ci internal/scimref/testdata gatehouse-scim/reference scimmy/package.json
# The independent SCIM service provider of the outbound provisioning tests (SCIMMY and SCIMMY Routers on Express;
# internal/scimtarget).
npm_ci internal/scimtarget/testdata gatehouse-scim/scimmy-target scimmy-routers/package.json
# axe-core, which the browser tests inject into every page to check its accessibility (internal/browsertest).
npm_ci internal/browsertest/testdata gatehouse-browser/axe axe-core/axe.min.js

go version
go vet ./...

# Static checks, at pinned versions that build with this Go, installed once into the cache.
tools="${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-tools"
staticcheck_version=v0.8.2 # staticcheck 2026.2.2
govulncheck_version=v1.10.0
install_tool() { # install_tool NAME MODULE/PATH VERSION: prints the binary's path
	local bin="$tools/$1-$3/$1"
	if [ ! -x "$bin" ]; then
		echo "test.sh: go install $2@$3" >&2
		GOBIN="$tools/$1-$3" go install "$2@$3" >&2
	fi
	echo "$bin"
}
staticcheck=$(install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$staticcheck_version")
govulncheck=$(install_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$govulncheck_version")
echo "test.sh: staticcheck ./..."
"$staticcheck" ./...

# govulncheck reads the Go vulnerability database from vuln.go.dev. Where only the Go module proxy is reachable, it
# reads a copy built from the latest golang.org/x/vulndb module (the same reports) with that module's indexdb.
vulndb=()
if ! curl -fsS --max-time 10 -o /dev/null https://vuln.go.dev/index/db.json 2>/dev/null; then
	vulndb_version=$(go list -m -json golang.org/x/vulndb@latest | sed -n 's/^[[:space:]]*"Version": "\(.*\)",$/\1/p')
	vulndb_dir="$tools/vulndb-$vulndb_version"
	if [ ! -f "$vulndb_dir/index/db.json" ]; then
		echo "test.sh: vuln.go.dev is out of reach; building the vulnerability database from golang.org/x/vulndb@$vulndb_version"
		indexdb=$(install_tool indexdb golang.org/x/vulndb/cmd/indexdb "$vulndb_version")
		vulndb_src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		rm -rf "$vulndb_dir.tmp"
		"$indexdb" -vulns "$vulndb_src/data/osv" -out "$vulndb_dir.tmp"
		mv "$vulndb_dir.tmp" "$vulndb_dir"
	fi
	vulndb=(-db "file://$vulndb_dir")
fi
echo "test.sh: govulncheck ./..."
vulnerable=0
vuln_out=$("$govulncheck" "${vulndb[@]}" ./... 2>&1) || vulnerable=$?
echo "$vuln_out"
case "$vulnerable" in
0) ;;
3) # Vulnerabilities that the code reaches: fail unless each is accepted with its reason.
	unaccepted=()
	for id in $(echo "$vuln_out" | sed -n 's/^Vulnerability #[0-9]*: \(GO-[0-9-]*\)$/\1/p'); do
		grep -q "^$id " scripts/govulncheck-accepted.txt || unaccepted+=("$id")
	done
	if [ "${#unaccepted[@]}" -gt 0 ]; then
		echo "test.sh: govulncheck: the code reaches ${unaccepted[*]}: upgrade the module (or Go) that fixes it" >&2
		exit 1
	fi
	echo "test.sh: govulncheck: every vulnerability reached is accepted in scripts/govulncheck-accepted.txt" ;;
*) echo "test.sh: govulncheck failed (exit status $vulnerable)" >&2
	exit 1 ;;
esac

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
