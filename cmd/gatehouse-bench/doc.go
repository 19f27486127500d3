// Command gatehouse-bench measures Gatehouse against reference servers on one machine, so that every change to a
// hot path can be measured the same way. It starts the real gatehouse binary (built with go build unless
// --gatehouse names one) on a temporary data directory and each reference server as a process of its own, all on
// loopback, so that the CPU time each uses is its own (utime+stime from /proc/PID/stat). Runs are interleaved
// (A B C A B C …) and medians reported, because on a shared machine only ratios measured in one run mean much.
//
// Subcommands:
//
//	gatehouse-bench sso       SP-initiated sign-ons of a signed-in user, each a fresh Redirect-binding AuthnRequest:
//	                          Gatehouse (sign assertion, sign both) against a bare server that makes one RSA-2048
//	                          signature per request (the ceiling) and crewjam/saml's samlidp; closed loop, then a
//	                          fixed rate at half each server's peak for its p99. --compare BINARY measures a
//	                          second gatehouse build (such as GOEXPERIMENT=boringcrypto) in the same run.
//	gatehouse-bench password  password sign-ins (POST /d/{dir}/login) against a bare argon2id server with the same
//	                          parameters; then a flood of parallel wrong passwords for Gatehouse's peak RSS, and its
//	                          RSS after the burst.
//	gatehouse-bench start     cold start of gatehouse serve on an existing data directory, to the first /healthz
//	                          answer, and idle RSS, with directories of users created by the bulk import.
//	gatehouse-bench busy      sign-ons at a steady rate, in windows alone, windows while users are bulk-imported
//	                          one request after another, and windows while an app's initial provisioning cycle
//	                          (10,000 users of a directory of their own) runs to a SCIM app: the p99 of each and
//	                          the ratios. --compare BINARY measures a second gatehouse build in the same run.
//	gatehouse-bench scale     two data directories filled by the bulk import, 1,000 and 1,000,000 users (--users),
//	                          both served at once; the same requests against each, interleaved: password sign-in,
//	                          My Apps, an SP-initiated sign-on, the admin users list (first page, a page by
//	                          cursor from the middle of the directory), admin searches, the API list (first page,
//	                          by cursor) and search. Prints the median and p99 of each and the large ÷ small ratio.
//
// Each prints its flags with --help. The reference servers are subcommands of this binary too (ref-signer,
// ref-crewjam, ref-argon2, and ref-scim, an in-memory SCIM service provider that provisioning writes to); the
// benchmark starts them itself. The numbers depend on the machine and its load; the
// ratios printed beside them are what to compare between changes.
package main
