package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

func (e *env) has(rel string) bool {
	_, err := os.Stat(e.bin(rel))
	return err == nil
}

// kyverno applies a verifyImages key policy to a Pod with n images (one
// process, as `kyverno apply` in CI).
func (e *env) kyverno(n int) time.Duration {
	pub, err := os.ReadFile(e.pub)
	must(err)
	policy := fmt.Sprintf(`apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bench}
spec:
  validationFailureAction: Enforce
  webhookTimeoutSeconds: 30
  rules:
  - name: verify
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: ["%s/bench/*"]
      mutateDigest: false
      verifyDigest: false
      required: true
      attestors:
      - entries:
        - keys:
            publicKeys: |-
%s
            rekor: {ignoreTlog: true}
            ctlog: {ignoreSCT: true}
`, e.registry, indent(string(pub), "              "))
	var containers strings.Builder
	for i, ref := range e.refs(n, e.registry) {
		fmt.Fprintf(&containers, "  - {name: c%d, image: %q}\n", i, ref)
	}
	pod := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: bench, namespace: default}\nspec:\n  containers:\n%s", containers.String())
	p := writeFile(e.work, fmt.Sprintf("kyverno-policy-%d.yaml", n), policy)
	r := writeFile(e.work, fmt.Sprintf("kyverno-pod-%d.yaml", n), pod)
	start := time.Now()
	out, err := e.run(nil, e.bin("build/tools/bin/kyverno"), "apply", p, "--resource", r, "--registry")
	took := time.Since(start)
	if err != nil || !strings.Contains(out, "fail: 0, warn: 0, error: 0") || strings.Contains(out, "pass: 0,") {
		panic("kyverno did not pass:\n" + out)
	}
	return took
}

// kyvernoStart is the CLI's fixed cost: starting the process.
func (e *env) kyvernoStart() time.Duration {
	start := time.Now()
	out, err := e.run(nil, e.bin("build/tools/bin/kyverno"), "version")
	if err != nil {
		panic(out)
	}
	return time.Since(start)
}

// policyTester runs policy-controller's tester once per image (it takes one).
func (e *env) policyTester(n int) time.Duration {
	pub, err := os.ReadFile(e.pub)
	must(err)
	cip := fmt.Sprintf(`apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: bench}
spec:
  images: [{glob: "**"}]
  authorities:
  - key:
      data: |
%s
`, indent(string(pub), "        "))
	p := writeFile(e.work, "cip.yaml", cip)
	start := time.Now()
	for _, ref := range e.refs(n, e.registry) {
		if out, err := e.run(nil, e.bin("build/tools/bin/policy-tester"), "--policy", p, "--image", ref); err != nil {
			panic("policy tester failed:\n" + out)
		}
	}
	return time.Since(start)
}
