// Package pgtest gives tests a fresh, empty PostgreSQL database on a real server.
//
// When GATEHOUSE_TEST_POSTGRES_URL is set, each call to URL creates a uniquely named database on that server and
// drops it when the test ends. Otherwise the first call starts a throwaway cluster for the whole test binary: initdb
// in a temporary directory, then postgres on a free 127.0.0.1 port with its unix socket in that directory, run as
// the postgres OS user when the tests run as root. The server is a child of the test binary and is told to quit if
// the binary dies; Main stops it and removes the directory when the tests finish.
//
// When PostgreSQL is not installed, URL skips the test with a message saying how to install it, or fails it when
// the environment variable CI is "true".
package pgtest
