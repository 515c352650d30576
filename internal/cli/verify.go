package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
	"github.com/spf13/cobra"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/verify"
	"github.com/opa-cosign/opa-cosign/plugins"
)

// verifyFlags are cosign verify's flags that opa-cosign implements, under
// cosign's names, so that a `cosign verify` command line works unchanged.
type verifyFlags struct {
	key, certificate, chain, trustedRoot, configFile, output, typ string
	identity, identityRegexp, issuer, issuerRegexp                string
	workflow                                                      map[string]*string // certificate-github-workflow-*
	annotations                                                   []string
	ignoreTlog, ignoreSCT, allowInsecure, allowHTTP, offline      bool
}

func verifyCommand(attestation bool) *cobra.Command {
	c, _ := newVerifyCommand(attestation)
	return c
}

func newVerifyCommand(attestation bool) (*cobra.Command, *verifyFlags) {
	f := &verifyFlags{workflow: map[string]*string{}}
	c := &cobra.Command{
		Use:   "verify [flags] IMAGE...",
		Short: "Verify images' cosign signatures, as cosign verify does (same flags and exit codes)",
		Long: "Verifies the signatures of each image with the cosign.verify built-in — both formats, offline, the engine of the\n" +
			"built-ins — taking cosign verify's flags. Exit codes are cosign's: 0 when every image verified, 10 when an\n" +
			"image has no signature, 11 when an image or tag does not exist, 12 when signatures exist but none matches the\n" +
			"key, identity, annotations or transparency-log requirement, 1 for anything else (registry errors, bad flags).\n" +
			"With --type, verifies attestations of that type instead, as verify-attestation (which exits 1 on any failure).",
		Args: cobra.MinimumNArgs(1),
	}
	if attestation {
		c.Use = "verify-attestation [flags] IMAGE..."
		c.Short = "Verify images' in-toto attestations, as cosign verify-attestation does (same flags and exit codes)"
		c.Long = strings.Replace(strings.Replace(c.Long, "signatures of each image with the cosign.verify built-in",
			"attestations of the given --type of each image with the cosign.verify_attestation built-in", 1),
			"\nWith --type, verifies attestations of that type instead, as verify-attestation (which exits 1 on any failure).", "", 1)
		c.Long = strings.Replace(c.Long, "Exit codes are cosign's: 0 when every image verified, 10 when an\n"+
			"image has no signature, 11 when an image or tag does not exist, 12 when signatures exist but none matches the\n"+
			"key, identity, annotations or transparency-log requirement, 1 for anything else (registry errors, bad flags).",
			"Exit codes are cosign's: 0 when every image verified, 1 otherwise.", 1)
	}
	fl := c.Flags()
	fl.StringVar(&f.key, "key", "", "path to the public key file (PEM: ECDSA, RSA or Ed25519)")
	fl.StringVar(&f.certificate, "certificate", "", "path to the signing certificate (PEM), with --certificate-chain")
	fl.StringVar(&f.chain, "certificate-chain", "", "path to the certificate chain (PEM: intermediates, then the root)")
	fl.StringVar(&f.identity, "certificate-identity", "", "the identity expected in a keyless signature's certificate")
	fl.StringVar(&f.identityRegexp, "certificate-identity-regexp", "", "a regexp the identity must match")
	fl.StringVar(&f.issuer, "certificate-oidc-issuer", "", "the OIDC issuer expected in the certificate")
	fl.StringVar(&f.issuerRegexp, "certificate-oidc-issuer-regexp", "", "a regexp the OIDC issuer must match")
	for _, w := range []string{"trigger", "sha", "name", "repository", "ref"} {
		f.workflow[w] = fl.String("certificate-github-workflow-"+w, "", "the GitHub workflow "+w+" expected in the certificate")
	}
	fl.StringSliceVarP(&f.annotations, "annotations", "a", nil, "annotation key=value the signature must carry (repeatable)")
	fl.BoolVar(&f.ignoreTlog, "insecure-ignore-tlog", false, "accept signatures without a transparency-log entry")
	fl.BoolVar(&f.ignoreSCT, "insecure-ignore-sct", false, "accept certificates without an SCT")
	fl.StringVar(&f.trustedRoot, "trusted-root", "", "path to a Sigstore trusted_root.json used instead of the embedded public-good root")
	fl.BoolVar(&f.allowInsecure, "allow-insecure-registry", false, "reach the images' registries over plain HTTP or unverified TLS")
	fl.BoolVar(&f.allowHTTP, "allow-http-registry", false, "reach the images' registries over plain HTTP")
	fl.BoolVar(&f.offline, "offline", true, "accepted for cosign compatibility: opa-cosign always verifies offline")
	fl.StringVarP(&f.output, "output", "o", "text", "output: text (a summary) or json (the built-in's result, one object per image)")
	fl.StringVar(&f.configFile, configFlag, "", "OPA config file whose plugins.cosign section configures the verification (trust roots, registry CA, timeout)")
	if attestation {
		fl.StringVar(&f.typ, "type", "custom", "predicate type: a cosign shorthand (slsaprovenance, vuln, spdxjson, …) or a URI")
	} else {
		fl.StringVar(&f.typ, "type", "", "verify attestations of this predicate type instead of signatures")
	}
	c.RunE = func(cmd *cobra.Command, images []string) error {
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		code, err := f.run(cmd, images)
		if err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
		}
		if code != 0 {
			return exitCode(code)
		}
		return nil
	}
	return c, f
}

// run verifies images and returns the exit code.
func (f *verifyFlags) run(cmd *cobra.Command, images []string) (int, error) {
	if f.output != "text" && f.output != "json" {
		return 1, fmt.Errorf("--output %q: want text or json", f.output)
	}
	opts, err := f.options()
	if err != nil {
		return 1, err
	}
	if err := f.install(images, opts); err != nil {
		return 1, err
	}
	if err := f.check(opts); err != nil {
		return 1, err
	}
	reqs := make([]map[string]any, len(images))
	for i, img := range images {
		reqs[i] = map[string]any{"image": img, "opts": opts, "attestation": f.typ != ""}
	}
	rs, err := rego.New(rego.Query("results := cosign.verify_batch(input)"), rego.Input(reqs),
		rego.StrictBuiltinErrors(true)).Eval(cmd.Context())
	if err != nil {
		return 1, err
	}
	if len(rs) != 1 {
		return 1, fmt.Errorf("cosign.verify_batch returned no result")
	}
	var raw []json.RawMessage
	b, err := json.Marshal(rs[0].Bindings["results"])
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err != nil {
		return 1, err
	}
	code := 0
	for _, r := range raw {
		res, err := printResult(cmd, r, f.output)
		if err != nil {
			return 1, err
		}
		if c := exitCodeOf(res, f.typ != ""); code == 0 {
			code = c
		}
	}
	return code, nil
}

// check reports bad options before any request, by the flag that gave them
// (the built-in would name the option).
func (f *verifyFlags) check(opts map[string]any) error {
	o, err := verify.ParseOptions(opts, f.typ != "")
	if err == nil {
		var eng *engine.Engine
		if eng, err = engine.Current(); err == nil {
			err = eng.CheckOptions(o)
		}
	}
	var oe *verify.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	flag := "--" + oe.Option
	switch oe.Option {
	case "signature-repository":
		flag = "COSIGN_REPOSITORY"
	case "key":
		if f.key != "" {
			flag += " " + f.key
		}
	case "certificate":
		flag += " " + f.certificate
	case "certificate-chain":
		flag += " " + f.chain
	case "trusted-root":
		flag = "--trusted-root " + f.trustedRoot
	}
	return fmt.Errorf("%s: %s", flag, oe.Reason)
}

// options are the flags as the built-in's options.
func (f *verifyFlags) options() (map[string]any, error) {
	o := map[string]any{}
	for flag, file := range map[string]string{"key": f.key, "certificate": f.certificate, "certificate-chain": f.chain} {
		if file == "" {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		o[flag] = string(b)
	}
	for opt, v := range map[string]string{
		"certificate-identity": f.identity, "certificate-identity-regexp": f.identityRegexp,
		"certificate-oidc-issuer": f.issuer, "certificate-oidc-issuer-regexp": f.issuerRegexp, "type": f.typ,
		"signature-repository": os.Getenv("COSIGN_REPOSITORY"),
	} {
		if v != "" {
			o[opt] = v
		}
	}
	for w, v := range f.workflow {
		if *v != "" {
			o["certificate-github-workflow-"+w] = *v
		}
	}
	if len(f.annotations) > 0 {
		a := map[string]any{}
		for _, kv := range f.annotations {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("--annotations %q: want key=value", kv)
			}
			a[k] = v
		}
		o["annotations"] = a
	}
	if f.ignoreTlog {
		o["insecure-ignore-tlog"] = true
	}
	if f.ignoreSCT {
		o["insecure-ignore-sct"] = true
	}
	return o, nil
}

// install builds the engine: the config file's plugins.cosign section, plus
// the images' registries marked insecure when asked, plus --trusted-root as
// the default root.
func (f *verifyFlags) install(images []string, opts map[string]any) error {
	cfg := map[string]any{}
	if f.configFile != "" {
		raw, err := pluginSection(f.configFile)
		if err != nil {
			return fmt.Errorf("--%s %s: %w", configFlag, f.configFile, err)
		}
		if len(raw) > 0 {
			if err := util.Unmarshal(raw, &cfg); err != nil {
				return fmt.Errorf("--%s %s: %w", configFlag, f.configFile, err)
			}
		}
	}
	if f.allowInsecure || f.allowHTTP {
		reg, _ := cfg["registry"].(map[string]any)
		if reg == nil {
			reg = map[string]any{}
		}
		insecure, _ := reg["insecure"].([]any)
		refs := images
		if repo, ok := opts["signature-repository"].(string); ok {
			refs = append(refs[:len(refs):len(refs)], repo)
		}
		for _, img := range refs {
			if r, err := reference.Parse(img); err == nil {
				insecure = append(insecure, r.Registry)
			} else if r, err := reference.Parse(img + ":latest"); err == nil {
				insecure = append(insecure, r.Registry)
			}
		}
		reg["insecure"] = insecure
		cfg["registry"] = reg
	}
	if f.trustedRoot != "" {
		roots, _ := cfg["trust_roots"].(map[string]any)
		if roots == nil {
			roots = map[string]any{}
		}
		roots["public-good"] = map[string]any{"trusted_root_file": f.trustedRoot}
		cfg["trust_roots"] = roots
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return plugins.InstallConfig(raw)
}

// exitCodeOf is the exit code cosign gives for r's failure: `cosign
// verify-attestation` exits 1 for every failure, `cosign verify` has codes
// for no signature, no image and no match.
func exitCodeOf(r result, attestation bool) int {
	switch {
	case r.Verified:
		return 0
	case attestation:
		return 1
	}
	code := ""
	if len(r.Errors) > 0 {
		code = r.Errors[0].Code
	}
	switch code {
	case "no_signatures", "no_attestations":
		return 10 // cosign's ImageWithoutSignature
	case "not_found":
		return 11 // NonExistentTag
	case "no_matching_signatures", "no_matching_attestations", "annotation_mismatch", "identity_mismatch", "type_mismatch",
		"tlog_verification_failed", "sct_verification_failed", "certificate_verification_failed":
		return 12 // NoMatchingSignature
	default:
		return 1
	}
}
