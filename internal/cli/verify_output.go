package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// result is the part of a cosign.verify result the text output shows.
type result struct {
	Verified   bool        `json:"verified"`
	Image      string      `json:"image"`
	Digest     string      `json:"digest"`
	Signatures []signature `json:"signatures"`
	Errors     []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Attestations []struct {
		PredicateType string    `json:"predicate_type"`
		Signature     signature `json:"signature"`
	} `json:"attestations"`
}

type signature struct {
	Format  string `json:"format"`
	Signer  string `json:"signer"`
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	Tlog    *struct {
		LogIndex int64 `json:"log_index"`
	} `json:"tlog"`
}

// printResult writes one image's result: with json, the built-in's result
// object as is (stdout); with text, what verified on stdout, or why nothing
// did on stderr, as cosign splits its output.
func printResult(cmd *cobra.Command, raw json.RawMessage, output string) (result, error) {
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, err
	}
	if output == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return r, err
		}
		fmt.Fprintln(cmd.OutOrStdout(), b.String())
		return r, nil
	}
	if !r.Verified {
		w := cmd.ErrOrStderr()
		fmt.Fprintf(w, "Not verified: %s%s\n", r.Image, at(r.Digest))
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %s: %s\n", e.Code, e.Message)
		}
		return r, nil
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Verified: %s%s\n", r.Image, at(r.Digest))
	for _, s := range r.Signatures {
		fmt.Fprintln(w, "  signature: "+s.describe())
	}
	for _, a := range r.Attestations {
		fmt.Fprintf(w, "  attestation: %s, %s\n", a.PredicateType, a.Signature.describe())
	}
	return r, nil
}

func at(digest string) string {
	if digest == "" {
		return ""
	}
	return " (" + digest + ")"
}

// describe says how a signature verified: its format, who signed, and whether
// a transparency-log entry was checked.
func (s signature) describe() string {
	parts := []string{s.Format}
	if s.Subject != "" {
		parts = append(parts, fmt.Sprintf("by %s (issuer %s)", s.Subject, s.Issuer))
	} else {
		parts = append(parts, "by "+s.Signer)
	}
	if s.Tlog != nil {
		parts = append(parts, fmt.Sprintf("transparency log index %d", s.Tlog.LogIndex))
	} else {
		parts = append(parts, "no transparency-log entry checked")
	}
	return strings.Join(parts, ", ")
}
