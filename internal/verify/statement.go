package verify

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// inTotoPayloadType is the DSSE payload type of in-toto statements.
const inTotoPayloadType = "application/vnd.in-toto+json"

// cosignSignPredicate is the predicate type of a cosign v3 image signature: an
// attestation of any other type is not a signature (docs/security.md #6).
const cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// statement is an in-toto statement (v0.1 or v1); v1 subjects may carry
// annotations, where cosign v3 puts signature annotations.
type statement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest      map[string]string `json:"digest"`
		Annotations map[string]any    `json:"annotations"`
	} `json:"subject"`
	Predicate any `json:"predicate"`

	annotations map[string]any // of the subject that matched
}

// parseStatement decodes an in-toto statement and checks that one of its
// subjects is digest h. A statement we cannot parse never verifies.
func parseStatement(payloadType string, body []byte, h v1.Hash) (*statement, error) {
	if payloadType != inTotoPayloadType {
		return nil, &malformedError{fmt.Errorf("DSSE payload type is %q, want %q", payloadType, inTotoPayloadType)}
	}
	var st statement
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, &malformedError{fmt.Errorf("DSSE payload is not an in-toto statement: %w", err)}
	}
	if st.PredicateType == "" {
		return nil, &malformedError{fmt.Errorf("in-toto statement has no predicateType")}
	}
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			st.annotations = s.Annotations
			if st.annotations == nil {
				st.annotations = map[string]any{}
			}
			return &st, nil
		}
	}
	return nil, &digestClaimError{fmt.Errorf("no in-toto subject has digest %s", h)}
}

// addAttestation records a verified statement when it has the requested type.
func addAttestation(res *Result, st *statement, o *Options, sig Signature) error {
	if st == nil {
		return &malformedError{fmt.Errorf("attestation has no statement")}
	}
	if st.PredicateType != o.Type {
		return &typeError{got: st.PredicateType, want: o.Type}
	}
	res.Attestations = append(res.Attestations, Attestation{PredicateType: st.PredicateType, Predicate: st.Predicate, Signature: sig})
	return nil
}
