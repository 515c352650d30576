// Package trust holds the Sigstore trust roots verification is checked against:
// the public-good root embedded in the binary (no network needed) and named
// roots loaded from trusted_root.json files for private Sigstore deployments.
package trust
