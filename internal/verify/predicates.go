package verify

import (
	"fmt"
	"net/url"

	"github.com/in-toto/in-toto-golang/in_toto"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
)

// predicateTypes maps cosign's --type shorthands to predicate type URIs, from
// the constants cosign's own table (cmd/cosign/cli/options.PredicateTypeMap)
// is made of; that package pulls in the Kubernetes client and every KMS, so
// TestPredicateTypesMatchCosign checks this copy against its source instead.
var predicateTypes = map[string]string{
	"custom":           attestation.CosignCustomProvenanceV01,
	"slsaprovenance":   slsa02.PredicateSLSAProvenance,
	"slsaprovenance02": slsa02.PredicateSLSAProvenance,
	"slsaprovenance1":  slsa1.PredicateSLSAProvenance,
	"spdx":             in_toto.PredicateSPDX,
	"spdxjson":         in_toto.PredicateSPDX,
	"cyclonedx":        in_toto.PredicateCycloneDX,
	"link":             in_toto.PredicateLinkV1,
	"vuln":             attestation.CosignVulnProvenanceV01,
	"openvex":          attestation.OpenVexNamespace,
}

// PredicateTypes returns the shorthand table (for docs and tests).
func PredicateTypes() map[string]string {
	out := make(map[string]string, len(predicateTypes))
	for k, v := range predicateTypes {
		out[k] = v
	}
	return out
}

// parseType reads `type` as cosign's ParsePredicateType does: a shorthand, or
// else an absolute URI.
func parseType(o *Options, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a string, got %s", typeName(v))
	}
	if uri, ok := predicateTypes[s]; ok {
		o.Type = uri
		return nil
	}
	if _, err := url.ParseRequestURI(s); err != nil {
		return fmt.Errorf("%q is neither a cosign type shorthand nor a predicate type URI", s)
	}
	o.Type = s
	return nil
}
