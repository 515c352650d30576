// Package testutil builds verification fixtures at test time: an in-process
// registry, random images, keys, and signatures in both cosign formats (legacy
// .sig/.att tags and Sigstore bundle referrers), key-signed or keyless against
// sigstore-go's virtual Sigstore. Nothing is read from disk or the network.
package testutil
