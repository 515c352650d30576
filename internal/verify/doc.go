// Package verify checks an image digest's cosign signatures and attestations in
// both formats — legacy `.sig`/`.att` tags (cosign v1/v2) and Sigstore bundles
// attached as OCI referrers (cosign v3) — and reports the outcome as data: a
// Result with the verified signatures and stable error codes. Only misuse (bad
// options) is a Go error.
package verify
