// Package metrics holds Gatehouse's Prometheus metrics, built with client_golang on a registry of their own (one per
// server, so that tests can run several): request durations by route, method and status; sign-ins by result, app
// and error code; sign-on latency; password hashes in flight and waiting; signing certificate expiry; the Go
// runtime and the process; and gatehouse_build_info.
//
// Metrics implements idp.Observer; Instrument wraps the HTTP handler; Handler serves the exposition format. Parts
// of Gatehouse add their own metrics to the same registry with Counter, GaugeFunc and GaugeVecFunc, without
// importing client_golang; WatchProvisioning adds the provisioning engine's (actions by app, action and result,
// queue depth, last successful cycle by app).
package metrics
