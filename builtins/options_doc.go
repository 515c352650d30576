package builtins

import (
	"fmt"
	"strings"
)

// optionDocs describes each option for docs/builtins.md; a test checks that it
// covers exactly the options the parser accepts.
var optionDocs = map[string]string{
	"key":                                    "PEM public key (ECDSA P-256/P-384, RSA, Ed25519) the signature must verify with.",
	"annotations":                            "object of strings: signature annotations that must be present with these values (cosign `-a`). Signatures only: an error on attestations, which carry none.",
	"signature-repository":                   "repository holding the signatures, as `COSIGN_REPOSITORY` (e.g. `ghcr.io/acme/signatures`).",
	"insecure-ignore-tlog":                   "boolean, default false. Skip the transparency-log check. Otherwise a signature must carry a Rekor SET or bundle entry verified offline against the trust root (an error when the trust root has no log).",
	"insecure-ignore-sct":                    "boolean, default false. Accept a certificate without an embedded SCT (otherwise an error when the trust root has no CT log and no `key` is given).",
	"trusted-root":                           "name of a trust root configured in `plugins.cosign.trust_roots`, or a `trusted_root.json` object given inline (e.g. from `data`, so it rotates with a bundle; a malformed one is an option error); default: the Sigstore public-good root embedded in the binary.",
	"certificate-identity":                   "keyless: the exact certificate identity (SAN: e-mail or URI).",
	"certificate-identity-regexp":            "keyless: Go RE2 regexp the identity must match; unanchored unless you write `^…$`.",
	"certificate-oidc-issuer":                "keyless: the exact OIDC issuer.",
	"certificate-oidc-issuer-regexp":         "keyless: Go RE2 regexp the issuer must match; unanchored unless you write `^…$`.",
	"certificate-github-workflow-trigger":    "the certificate's GitHub workflow trigger extension must equal this.",
	"certificate-github-workflow-sha":        "the certificate's GitHub workflow SHA extension must equal this.",
	"certificate-github-workflow-name":       "the certificate's GitHub workflow name extension must equal this.",
	"certificate-github-workflow-repository": "the certificate's GitHub workflow repository extension must equal this.",
	"certificate-github-workflow-ref":        "the certificate's GitHub workflow ref extension must equal this.",
	"certificate":                            "bring-your-own PKI: PEM signing certificate, validated against `certificate-chain` (required) and the identity options when the call is made — one that does not validate is an error, not a failed verification; the signature must be made with its key (legacy) or carry exactly this certificate (bundle).",
	"certificate-chain":                      "PEM chain, intermediates then root. With `certificate`: the chain of that certificate. Alone: the CA the signature's own certificate must chain to. Identity options are optional here. Private CAs usually have no CT log or Rekor: set `insecure-ignore-sct` / `insecure-ignore-tlog` unless the trust root has them.",
	"type":                                   "attestations only, required: `slsaprovenance`, `slsaprovenance02`, `slsaprovenance1`, `spdx`, `spdxjson`, `cyclonedx`, `link`, `vuln`, `openvex`, `custom`, or a predicate type URI.",
}

func optionsDetails(attestation bool) string {
	var b strings.Builder
	b.WriteString("| option | meaning |\n|---|---|\n")
	for _, n := range sortedOptionNames() {
		if n == "type" && !attestation {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, optionDocs[n])
	}
	return b.String()
}

// signatureDetails documents what identifies a verified signature; the Rego
// library counts distinct signers by `signer` (N-of-M, docs/security.md #26).
const signatureDetails = "Each entry of `signatures` says who signed and which signature it is:\n\n" +
	"| field | meaning |\n|---|---|\n" +
	"| `format` | `legacy` (`.sig` tag) or `bundle` (Sigstore bundle referrer). |\n" +
	"| `signer` | Who made it, always set, in one of three forms. `key:sha256:<hex>`: key-signed, SHA-256 of the verifying public key's DER SubjectPublicKeyInfo. " +
	"`cert:<issuer>\\|<subject>`: a certificate with an identity (keyless, or bring-your-own PKI with a SAN); `<issuer>` is the certificate's OIDC issuer extension " +
	"(empty when it has none) and `<subject>` the SAN the identity options matched (without them, the URI, e-mail or other-name SAN). " +
	"`certkey:sha256:<hex>`: a certificate without any SAN, by SHA-256 of its SubjectPublicKeyInfo. The same key or identity gives the same `signer` on every " +
	"image and in both formats: count distinct signers with it. |\n" +
	"| `digest` | `sha256:<hex>` identifying the signature itself: of the decoded signature bytes (legacy; for a legacy attestation, its DSSE signature) or of the bundle blob as stored (the referrer's layer digest). |\n" +
	"| `subject`, `issuer`, `extensions` | The certificate's SAN, OIDC issuer and Fulcio extensions; empty for key-signed signatures. A certificate carried beside a key-verified signature is not validated and not reported. |\n" +
	"| `annotations` | The signed annotations (`cosign sign -a`). |\n" +
	"| `tlog` | `{log_index, integrated_time}` of the verified transparency-log entry, or null when the log was not checked. |\n"
