// Package e2e tests opa-cosign end to end with real components started by the
// tests: the CNCF Distribution registry (plain, and with TLS and htpasswd
// authentication), the cosign v2 and v3 CLIs signing for real, and the
// opa-cosign binary through `eval` and its HTTP server, including a bounded
// load test beside an in-process hostile registry. It runs with the build tag
// e2e (`make e2e` installs the tools and builds first).
package e2e
