#!/bin/sh
# Installs the PostgreSQL server (Debian package "postgresql") that the tests start in a temporary directory, unless
# it is installed already. Nothing is started here: internal/pgtest runs its own throwaway cluster per test binary.
set -eu

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "postgres.sh: no apt-get; install the PostgreSQL server (initdb, postgres) with your package manager," >&2
	echo "or point GATEHOUSE_TEST_POSTGRES_URL at a server the tests may create databases on." >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (fresh containers) or stale; refresh them only when the package is unknown.
if ! apt-cache show postgresql >/dev/null 2>&1; then
	$sudo apt-get update -q
fi
# Another apt or dpkg may hold the lock for a while: wait for it rather than fail.
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends postgresql
