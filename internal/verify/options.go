package verify

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// Options are validated cosign verification options. Names follow the cosign
// CLI flags, as in the Styra DAS verification_config schema.
type Options struct {
	Key         signature.Verifier
	Annotations map[string]string
	// SignatureRepository is where signatures are stored when not beside the
	// image (COSIGN_REPOSITORY), normalised as image references are.
	SignatureRepository *reference.Reference
	IgnoreTlog          bool
	IgnoreSCT           bool
	// TrustedRoot names a trust root of the verifier's; TrustedMaterial is
	// one given inline instead (a trusted_root.json object), which wins.
	TrustedRoot     string
	TrustedMaterial root.TrustedMaterial
	Identity        Identity
	Certificate     *CertificateOptions
	// Type is the attestation predicate type (URI), for attestations only.
	Type string

	fingerprint string
	keySigner   string // Signature.Signer of what Key verifies
}

// Fingerprint identifies the normalised options: equal fingerprints verify
// alike. It keys caches and deduplication.
func (o *Options) Fingerprint() string { return o.fingerprint }

// optionParser reads one option's value into o.
type optionParser func(o *Options, v any) error

// parsers lists every option; an option not here is misuse.
var parsers = map[string]optionParser{
	"key":                                    parseKey,
	"annotations":                            parseAnnotations,
	"signature-repository":                   parseSignatureRepository,
	"insecure-ignore-tlog":                   boolOption(func(o *Options, b bool) { o.IgnoreTlog = b }),
	"insecure-ignore-sct":                    boolOption(func(o *Options, b bool) { o.IgnoreSCT = b }),
	"trusted-root":                           parseTrustedRoot,
	"certificate-identity":                   stringOption(func(o *Options, s string) { o.Identity.Subject = s }),
	"certificate-identity-regexp":            stringOption(func(o *Options, s string) { o.Identity.SubjectRegexp = s }),
	"certificate-oidc-issuer":                stringOption(func(o *Options, s string) { o.Identity.Issuer = s }),
	"certificate-oidc-issuer-regexp":         stringOption(func(o *Options, s string) { o.Identity.IssuerRegexp = s }),
	"certificate-github-workflow-trigger":    stringOption(func(o *Options, s string) { o.Identity.GithubWorkflowTrigger = s }),
	"certificate-github-workflow-sha":        stringOption(func(o *Options, s string) { o.Identity.GithubWorkflowSHA = s }),
	"certificate-github-workflow-name":       stringOption(func(o *Options, s string) { o.Identity.GithubWorkflowName = s }),
	"certificate-github-workflow-repository": stringOption(func(o *Options, s string) { o.Identity.GithubWorkflowRepository = s }),
	"certificate-github-workflow-ref":        stringOption(func(o *Options, s string) { o.Identity.GithubWorkflowRef = s }),
	"certificate":                            parseCertificate,
	"certificate-chain":                      parseCertificateChain,
	"type":                                   parseType,
}

// OptionNames lists the accepted option names, sorted (for docs and errors).
func OptionNames() []string {
	names := make([]string, 0, len(parsers))
	for n := range parsers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OptionError is misuse of one option; it names the option.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return fmt.Sprintf("option %q: %s", e.Option, e.Reason) }

// ParseOptions validates raw options (the JSON of a Rego object). attestation
// selects the set of options that apply: "type" only for attestations.
func ParseOptions(raw map[string]any, attestation bool) (*Options, error) {
	o := &Options{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parse, ok := parsers[k]
		if !ok || (k == "type" && !attestation) {
			return nil, &OptionError{Option: k, Reason: "unknown option (known: " + strings.Join(knownFor(attestation), ", ") + ")"}
		}
		if err := parse(o, raw[k]); err != nil {
			return nil, &OptionError{Option: k, Reason: err.Error()}
		}
	}
	if err := o.validate(attestation); err != nil {
		return nil, err
	}
	fp, err := fingerprint(raw)
	if err != nil {
		return nil, err
	}
	o.fingerprint = fp
	return o, nil
}

func knownFor(attestation bool) []string {
	var out []string
	for _, n := range OptionNames() {
		if n != "type" || attestation {
			out = append(out, n)
		}
	}
	return out
}

// fingerprint hashes the canonical JSON of the raw options (encoding/json sorts
// object keys), so {"a":1,"b":2} and {"b":2,"a":1} are the same work.
func fingerprint(raw map[string]any) (string, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return "", fmt.Errorf("encoding options: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func stringOption(set func(*Options, string)) optionParser {
	return func(o *Options, v any) error {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string, got %s", typeName(v))
		}
		if s == "" {
			return fmt.Errorf("must not be empty")
		}
		set(o, s)
		return nil
	}
}

func boolOption(set func(*Options, bool)) optionParser {
	return func(o *Options, v any) error {
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("must be a boolean, got %s", typeName(v))
		}
		set(o, b)
		return nil
	}
}

func parseKey(o *Options, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a PEM public key string, got %s", typeName(v))
	}
	if !strings.Contains(s, "-----BEGIN") {
		// The usual mistake: cosign's --key takes a file, this option the file's content.
		return fmt.Errorf("not a PEM public key: %q is not PEM text; the option takes the key itself, not a file name "+
			"(e.g. jq --rawfile key cosign.pub, or opa-cosign verify --key cosign.pub)", abbreviate(s))
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(s))
	if err != nil {
		return fmt.Errorf("not a PEM public key: %w", err)
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("unsupported public key: %w", err)
	}
	signer, err := keySigner(pub)
	if err != nil {
		return err
	}
	o.Key, o.keySigner = verifier, signer
	return nil
}

// parseTrustedRoot takes the name of a configured trust root, or a
// trusted_root.json as an object: trust material that travels with the
// policy's data (a bundle, a ConfigMap) and so rotates with it. The options'
// fingerprint covers the object, so results verified under another root are
// never reused.
func parseTrustedRoot(o *Options, v any) error {
	switch r := v.(type) {
	case string:
		if r == "" {
			return fmt.Errorf("must not be empty")
		}
		o.TrustedRoot = r
		return nil
	case map[string]any:
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encoding the trusted_root.json object: %w", err)
		}
		tm, name, err := trust.ParseJSON(b)
		if err != nil {
			return err
		}
		o.TrustedRoot, o.TrustedMaterial = name, tm
		return nil
	default:
		return fmt.Errorf("must be the name of a trust root or a trusted_root.json object, got %s", typeName(v))
	}
}

func parseAnnotations(o *Options, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("must be an object of strings, got %s", typeName(v))
	}
	o.Annotations = make(map[string]string, len(m))
	for k, val := range m {
		s, ok := val.(string)
		if !ok {
			return fmt.Errorf("value of %q must be a string, got %s", k, typeName(val))
		}
		o.Annotations[k] = s
	}
	return nil
}

func parseSignatureRepository(o *Options, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("must be a repository string, got %s", typeName(v))
	}
	// A repository has no tag or digest: one given makes ":latest" invalid.
	r, err := reference.Parse(s + ":" + name.DefaultTag)
	if err != nil {
		return fmt.Errorf("not a repository: %w", err)
	}
	o.SignatureRepository = &r
	return nil
}

// abbreviate keeps a value quoted in an error short.
func abbreviate(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
