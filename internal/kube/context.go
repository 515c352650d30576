package kube

import (
	"fmt"
	"regexp"
)

// PullContext is where the kubelet will find the registry credentials of a
// workload's images: its namespace, the pull secrets its Pod spec names, and
// the ServiceAccount whose pull secrets the Pod gets when it names none (the
// ServiceAccount admission plugin adds them to the Pod when it is created).
// For a Pod, the API server has done that already: give no ServiceAccount.
type PullContext struct {
	Namespace        string
	ImagePullSecrets []string
	ServiceAccount   string
}

var (
	labelName     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	subdomainName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// Validate checks the names as the API server would: a namespace is a DNS
// label, a Secret or ServiceAccount name a DNS subdomain. Names go into
// request paths unescaped, so nothing else may pass.
func (p PullContext) Validate() error {
	if !labelName.MatchString(p.Namespace) {
		return fmt.Errorf("namespace %q is not a namespace name", p.Namespace)
	}
	for _, s := range p.ImagePullSecrets {
		if !subdomainName.MatchString(s) {
			return fmt.Errorf("image_pull_secrets: %q is not a Secret name", s)
		}
	}
	if p.ServiceAccount != "" && !subdomainName.MatchString(p.ServiceAccount) {
		return fmt.Errorf("service_account %q is not a ServiceAccount name", p.ServiceAccount)
	}
	return nil
}

// Key identifies the context: equal keys resolve alike.
func (p PullContext) Key() string {
	k := p.Namespace + "\x00" + p.ServiceAccount
	for _, s := range p.ImagePullSecrets {
		k += "\x00" + s
	}
	return k
}
