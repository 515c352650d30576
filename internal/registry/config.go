package registry

import (
	"net/http"
	"time"
)

// Config configures a Client. The zero value is usable: TLS only, credentials
// from DOCKER_CONFIG or ~/.docker, default limits.
type Config struct {
	// Insecure lists registry hosts (host[:port]) reached over plain HTTP or
	// with unverified TLS. Nothing is insecure unless listed.
	Insecure []string
	// DockerConfig is the directory of a docker config.json; default
	// DOCKER_CONFIG, then ~/.docker.
	DockerConfig string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// Limits bound what a registry may make us read.
	Limits Limits
	// Transport is the base round tripper; default a new http.Transport.
	// Tests use it to inject faults.
	Transport http.RoundTripper
	// BlobReads bounds the blobs read at once by all the client's work;
	// default 4 (go-containerregistry's). The engine sets it to its
	// max_concurrency, which already bounds registry work: at 4, the payloads
	// of a Pod's verifications were read four at a time (issue 14).
	BlobReads int
}

// Limits bound the work a hostile registry can cause (docs/security.md #1-#4, #19).
type Limits struct {
	MaxManifestBytes int64 // manifests, indexes and referrer lists; default 4 MiB
	MaxBlobBytes     int64 // blobs, e.g. signature payloads, attestations and bundles; default 8 MiB
	MaxRedirects     int   // per request; default 3
	MaxSignatures    int   // signature candidates per image and format; default 32
	MaxReferrers     int   // referrer descriptors per image; default 64
}

// SignatureBytes is what one signature may add to a legacy signature or
// attestation manifest. A keyless signature's layer descriptor, with its
// signature, certificate and Rekor bundle annotations, is ≈ 3 KiB
// (TestLargestLegitimateSignatureManifest measures one); a chain, an RFC 3161
// timestamp and long identities add a few KiB more, well under 32.
const SignatureBytes = 32 << 10

// SignatureManifestBytes bounds a legacy signature or attestation manifest:
// max_signatures signatures at SignatureBytes each, at most max_manifest_bytes
// (1 MiB by default). A manifest with more signatures than that is refused by
// the count anyway; refusing it by size stops it before it is decoded, which
// was half the server's CPU under a hostile registry (BENCHMARKS.md §7).
func (l Limits) SignatureManifestBytes() int64 {
	return min(l.MaxManifestBytes, int64(l.MaxSignatures)*SignatureBytes)
}

// Default values for Limits.
const (
	DefaultMaxManifestBytes = 4 << 20
	DefaultMaxBlobBytes     = 8 << 20
	DefaultMaxRedirects     = 3
	DefaultMaxSignatures    = 32
	DefaultMaxReferrers     = 64
)

// WithDefaults fills unset limits.
func (l Limits) WithDefaults() Limits {
	if l.MaxManifestBytes <= 0 {
		l.MaxManifestBytes = DefaultMaxManifestBytes
	}
	if l.MaxBlobBytes <= 0 {
		l.MaxBlobBytes = DefaultMaxBlobBytes
	}
	if l.MaxRedirects <= 0 {
		l.MaxRedirects = DefaultMaxRedirects
	}
	if l.MaxSignatures <= 0 {
		l.MaxSignatures = DefaultMaxSignatures
	}
	if l.MaxReferrers <= 0 {
		l.MaxReferrers = DefaultMaxReferrers
	}
	return l
}

// defaultTransport is tuned for many small requests to few registries.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}
