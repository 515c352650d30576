// Package registry is opa-cosign's only way to the network: one long-lived
// client per engine with explicit plain-HTTP opt-in, docker-config credentials,
// shared connections and tokens, and hard limits on what a registry may send.
package registry
