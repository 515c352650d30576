//go:build e2e

package e2e

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

const (
	slsaPredicate = `{"builder": {"id": "https://github.com/acme/builder@v1"}, "buildType": "https://example.com/build/v1", "invocation": {"configSource": {"uri": "git+https://github.com/acme/app"}}}`
	vulnPredicate = `{"scanner": {"uri": "pkg:github/aquasecurity/trivy", "version": "0.50.0", "result": {"summary": {"CRITICAL": 0, "HIGH": 1}}}, "metadata": {"scanStartedOn": "2026-11-22T09:00:00Z", "scanFinishedOn": "2026-11-22T09:01:00Z"}}`
)

// TestAttestationsFromCosignAttest: `cosign attest --type slsaprovenance|vuln`
// by cosign v2 (.att) and v3 (bundle), verified through the server; only the
// requested type verifies (docs/security.md #5).
func TestAttestationsFromCosignAttest(t *testing.T) {
	host := startRegistry(t)
	srv := startServer(t, host)
	good, bad := newKeyPair(t), newKeyPair(t)
	for _, version := range []string{v2, v3} {
		d := push(t, host, "e2e/attested-"+version, "v1")
		attest(t, version, good, d.String(), "slsaprovenance", slsaPredicate)
		attest(t, version, good, d.String(), "vuln", vulnPredicate)
		onlyVuln := push(t, host, "e2e/only-vuln-"+version, "v1")
		attest(t, version, good, onlyVuln.String(), "vuln", vulnPredicate)

		for _, c := range []struct {
			name, image, typ, wantType, code string
			key                              keyPair
		}{
			{"slsa provenance", d.String(), "slsaprovenance", "https://slsa.dev/provenance/v0.2", "", good},
			{"vuln", d.String(), "vuln", "https://cosign.sigstore.dev/attestation/vuln/v1", "", good},
			{"wrong key", d.String(), "slsaprovenance", "", "no_matching_attestations", bad},
			{"only vuln, provenance required", onlyVuln.String(), "slsaprovenance", "", "type_mismatch", good},
			{"not attested", push(t, host, "e2e/plain-"+version, "v1").String(), "vuln", "", "no_attestations", good},
		} {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				got := srv.verifyAttestation(t, c.image, keyOpts(c.key, t, map[string]any{"type": c.typ}))
				if c.code != "" {
					if got.Verified || got.code() != c.code || len(got.Attestations) != 0 {
						t.Fatalf("verified=%v code=%q attestations=%d, want code %q", got.Verified, got.code(), len(got.Attestations), c.code)
					}
					return
				}
				if !got.Verified || len(got.Attestations) == 0 {
					t.Fatalf("not verified: %+v", got.Errors)
				}
				for _, a := range got.Attestations {
					if a.PredicateType != c.wantType {
						t.Fatalf("attestation of type %q returned for %q", a.PredicateType, c.typ)
					}
				}
				if c.typ == "slsaprovenance" && got.Attestations[0].Predicate["builder"].(map[string]any)["id"] != "https://github.com/acme/builder@v1" {
					t.Fatalf("predicate = %v", got.Attestations[0].Predicate)
				}
			})
		}
	}
}

// TestAttestationNegativeTwins: each way an attestation must fail, beside the
// same attestation verifying. Real cosign v2 (.att) and v3 (bundle)
// attestations, one tampered in the registry after signing; keyless and
// unparsable legacy attestations built in Go (the CLI cannot sign keyless
// offline, nor sign a payload that is not JSON) against a private Sigstore
// configured in the server's trust_roots.
func TestAttestationNegativeTwins(t *testing.T) {
	host := startRegistry(t)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServerWith(t, testTimeout+fmt.Sprintf("    registry:\n      insecure: [%q]\n    trust_roots:\n      corp: {trusted_root_file: %q}\n",
		host, testutil.WriteTrustedRoot(t, vs)))
	good := newKeyPair(t)
	goKey := testutil.NewKey(t, testutil.ECDSAP256)

	signedBy := func(version, repo string) string {
		d := push(t, host, repo, "v1")
		attest(t, version, good, d.String(), "slsaprovenance", slsaPredicate)
		return d.String()
	}
	v2Att, v3Att := signedBy(v2, "e2e/twin-v2"), signedBy(v3, "e2e/twin-v3")
	tampered := push(t, host, "e2e/twin-tampered", "v1")
	attest(t, v2, good, tampered.String(), "slsaprovenance", slsaPredicate)
	tamperAttestation(t, tampered, "acme/builder", "evil/builder")

	keyless := push(t, host, "e2e/twin-keyless", "v1")
	cert, priv, err := vs.GenerateLeafCert(keylessIdentity, keylessIssuer)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	testutil.AttachLegacy(t, keyless, testutil.Legacy{Signer: signer, Cert: cert,
		Statement: testutil.Statement(t, keyless, nil, slsaV02, map[string]any{"builder": map[string]any{"id": "b"}}, nil)})
	parsable := push(t, host, "e2e/twin-json", "v1")
	testutil.AttachLegacy(t, parsable, testutil.Legacy{Signer: goKey.Signer,
		Statement: testutil.Statement(t, parsable, nil, slsaV02, map[string]any{"builder": map[string]any{"id": "b"}}, nil)})
	unparsable := push(t, host, "e2e/twin-unparsable", "v1")
	testutil.AttachLegacy(t, unparsable, testutil.Legacy{Signer: goKey.Signer, Statement: []byte(`{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "`)})

	slsa := map[string]any{"type": "slsaprovenance"}
	withKey := func(extra map[string]any) map[string]any { return keyOpts(good, t, merge(slsa, extra)) }
	goKeyOpts := map[string]any{"key": goKey.PublicPEM, "insecure-ignore-tlog": true, "type": "slsaprovenance"}
	keylessOpts := func(extra map[string]any) map[string]any {
		return merge(slsa, map[string]any{"trusted-root": "corp", "insecure-ignore-sct": true, "insecure-ignore-tlog": true,
			"certificate-identity": keylessIdentity, "certificate-oidc-issuer": keylessIssuer}, extra)
	}
	tlogRequired := map[string]any{"key": good.pem(t), "type": "slsaprovenance"}
	for _, c := range []struct {
		name, image string
		opts        map[string]any
		code, says  string // "" = verified
	}{
		{"v2 .att as signed", v2Att, withKey(nil), "", ""},
		{"v2 .att, payload tampered after signing", tampered.String(), withKey(nil), "no_matching_attestations", "accepted signatures do not match threshold"},
		{"v2 .att, tlog required", v2Att, tlogRequired, "tlog_verification_failed", "offline verification failed"},
		{"v3 bundle as signed", v3Att, withKey(nil), "", ""},
		{"v3 bundle, tlog required", v3Att, tlogRequired, "tlog_verification_failed", "not enough verified log entries"},
		{"keyless .att, its identity", keyless.String(), keylessOpts(nil), "", ""},
		{"keyless .att, another identity", keyless.String(), keylessOpts(map[string]any{"certificate-identity": keylessIdentity + "x"}), "identity_mismatch", "none of the expected identities"},
		{"keyless .att, identity regexp not matching", keyless.String(), keylessOpts(map[string]any{
			"certificate-identity": nil, "certificate-identity-regexp": "^https://github\\.com/evil/"}), "identity_mismatch", "none of the expected identities"},
		{"keyless .att, another issuer", keyless.String(), keylessOpts(map[string]any{"certificate-oidc-issuer": "https://accounts.example.com"}), "identity_mismatch", "none of the expected identities"},
		{"legacy .att, JSON payload", parsable.String(), goKeyOpts, "", ""},
		{"legacy .att, validly signed payload that does not parse", unparsable.String(), goKeyOpts, "no_matching_attestations", "not an in-toto statement"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := srv.verifyAttestation(t, c.image, c.opts)
			if c.code == "" {
				if !got.Verified || len(got.Attestations) != 1 || got.Attestations[0].PredicateType != slsaV02 {
					t.Fatalf("not verified: %+v", got)
				}
				return
			}
			if got.Verified || got.code() != c.code || len(got.Attestations) != 0 || !strings.Contains(got.Errors[0].Message, c.says) {
				t.Fatalf("verified=%v code=%q attestations=%d, want code %q saying %q (%+v)", got.Verified, got.code(), len(got.Attestations), c.code, c.says, got.Errors)
			}
		})
	}
}

const (
	slsaV02         = "https://slsa.dev/provenance/v0.2"
	keylessIdentity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	keylessIssuer   = "https://token.actions.githubusercontent.com"
)

// merge returns the union of the maps, later ones winning; a nil value
// removes the key.
func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		for k, v := range m {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// tamperAttestation rewrites the in-toto statement of d's legacy .att in the
// registry (old → new in the DSSE payload), keeping its signature, as someone
// with push access to the repository could.
func tamperAttestation(t *testing.T, d name.Digest, old, new string) {
	t.Helper()
	tag := d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".att")
	desc, err := remote.Get(tag)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("attestation manifest: %v (%d layers)", err, len(m.Layers))
	}
	layer, err := remote.Layer(d.Context().Digest(m.Layers[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var env map[string]any
	if err := json.NewDecoder(rc).Decode(&env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
	if err != nil || !bytes.Contains(payload, []byte(old)) {
		t.Fatalf("payload %q (%v) does not contain %q", payload, err, old)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(old), []byte(new), 1))
	blob, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	tamperedLayer := static.NewLayer(blob, m.Layers[0].MediaType)
	if err := remote.WriteLayer(d.Context(), tamperedLayer); err != nil {
		t.Fatal(err)
	}
	if m.Layers[0].Digest, err = tamperedLayer.Digest(); err != nil {
		t.Fatal(err)
	}
	m.Layers[0].Size = int64(len(blob))
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(tag, rawManifest{raw, desc.MediaType}); err != nil {
		t.Fatal(err)
	}
}

type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// Sizes of SBOM attestations as cosign writes them (DSSE envelope, base64 of
// the in-toto statement), measured on syft's SPDX SBOMs of popular Docker Hub
// images (BENCHMARKS.md): the median is 2.25 MiB, the 75th percentile 4.28 MiB.
const (
	medianSBOMAttestation = 2_362_888
	p75SBOMAttestation    = 4_489_656
)

// TestSBOMAttestationWithDefaults: SBOM attestations of the size real images
// have — SPDX from cosign v2 (.att), CycloneDX from cosign v3 (bundle) — verify
// with the plugin's default limits; one past max_blob_bytes is
// limit_exceeded, not read whole.
func TestSBOMAttestationWithDefaults(t *testing.T) {
	host := startRegistry(t)
	srv := startServerWith(t, testTimeout+fmt.Sprintf("    registry:\n      insecure: [%q]\n", host))
	k := newKeyPair(t)
	for _, c := range []struct {
		name, version, typ, predicateType string
		envelope                          int // bytes of the attestation as stored
		code                              string
	}{
		{"SPDX, median size, cosign v2", v2, "spdxjson", "https://spdx.dev/Document", medianSBOMAttestation, ""},
		{"CycloneDX, 75th percentile, cosign v3", v3, "cyclonedx", "https://cyclonedx.org/bom", p75SBOMAttestation, ""},
		{"SPDX past max_blob_bytes", v2, "spdxjson", "", 9 << 20, "limit_exceeded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := push(t, host, "e2e/sbom-"+c.typ+"-"+c.version, fmt.Sprint(c.envelope))
			sbom, packages := syntheticSBOM(c.typ, c.envelope)
			attest(t, c.version, k, d.String(), c.typ, sbom)
			got := srv.verifyAttestation(t, d.String(), keyOpts(k, t, map[string]any{"type": c.typ}))
			if c.code != "" {
				if got.Verified || got.code() != c.code {
					t.Fatalf("verified=%v code=%q, want %s (%+v)", got.Verified, got.code(), c.code, got.Errors)
				}
				return
			}
			if !got.Verified || len(got.Attestations) != 1 || got.Attestations[0].PredicateType != c.predicateType {
				t.Fatalf("not verified: %+v", got.verdict)
			}
			key := map[string]string{"spdxjson": "packages", "cyclonedx": "components"}[c.typ]
			if n := len(got.Attestations[0].Predicate[key].([]any)); n != packages {
				t.Fatalf("%d %s in the verified predicate, want %d", n, key, packages)
			}
		})
	}
}

// syntheticSBOM is an SPDX or CycloneDX document, with packages as syft
// writes them, whose attestation by cosign is about envelope bytes (base64
// makes the in-toto statement 4/3 larger). It returns the document and its
// number of packages.
func syntheticSBOM(typ string, envelope int) (string, int) {
	one, _ := json.Marshal(sbomPackage(typ, 0))
	n := envelope * 3 / 4 / (len(one) + 1)
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = sbomPackage(typ, i)
	}
	var doc map[string]any
	if typ == "cyclonedx" {
		doc = map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": items,
			"metadata": map[string]any{"component": map[string]any{"type": "container", "name": "e2e/app"}}}
	} else {
		doc = map[string]any{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "e2e/app",
			"documentNamespace": "https://example.com/e2e/app", "creationInfo": map[string]any{"created": "2026-12-01T00:00:00Z", "creators": []any{"Tool: syft-1.0.0"}},
			"packages": items}
	}
	b, _ := json.Marshal(doc)
	return string(b), n
}

func sbomPackage(typ string, i int) map[string]any {
	name, version := fmt.Sprintf("package-%06d", i), fmt.Sprintf("1.%d.0-1", i%97)
	purl := fmt.Sprintf("pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12", name, version)
	cpe := fmt.Sprintf("cpe:2.3:a:%s:%s:%s:*:*:*:*:*:*:*", name, name, version)
	if typ == "cyclonedx" {
		return map[string]any{"bom-ref": purl, "type": "library", "name": name, "version": version,
			"licenses": []any{map[string]any{"license": map[string]any{"id": "GPL-2.0-or-later"}}}, "purl": purl, "cpe": cpe,
			"properties": []any{map[string]any{"name": "syft:package:type", "value": "deb"}, map[string]any{"name": "syft:location:0:path", "value": "/var/lib/dpkg/status"}}}
	}
	return map[string]any{"name": name, "SPDXID": "SPDXRef-Package-deb-" + name, "versionInfo": version,
		"supplier": "Person: Debian Maintainers <debian@example.org>", "downloadLocation": "NOASSERTION", "filesAnalyzed": false,
		"licenseConcluded": "NOASSERTION", "licenseDeclared": "GPL-2.0-or-later", "copyrightText": "NOASSERTION",
		"externalRefs": []any{map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl},
			map[string]any{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": cpe}}}
}
