package builtins

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/opa-cosign/opa-cosign/internal/kube"
)

// decodePullContext reads a batch request's `kubernetes` context; null is
// none. Names are checked as the API server checks them.
func decodePullContext(t *ast.Term) (*kube.PullContext, error) {
	if _, ok := t.Value.(ast.Null); ok {
		return nil, nil
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("must be an object or null, got %s", ast.ValueName(t.Value))
	}
	var pc kube.PullContext
	err := obj.Iter(func(k, v *ast.Term) error {
		key, _ := k.Value.(ast.String)
		switch string(key) {
		case "namespace":
			s, ok := v.Value.(ast.String)
			if !ok {
				return errors.New("namespace must be a string")
			}
			pc.Namespace = string(s)
		case "service_account":
			s, ok := v.Value.(ast.String)
			if !ok {
				return errors.New("service_account must be a string")
			}
			pc.ServiceAccount = string(s)
		case "image_pull_secrets":
			arr, ok := v.Value.(*ast.Array)
			if !ok {
				return errors.New("image_pull_secrets must be an array of Secret names")
			}
			for i := range arr.Len() {
				s, ok := arr.Elem(i).Value.(ast.String)
				if !ok {
					return errors.New("image_pull_secrets must be an array of Secret names")
				}
				pc.ImagePullSecrets = append(pc.ImagePullSecrets, string(s))
			}
		default:
			return fmt.Errorf("unknown key %s (known: namespace, image_pull_secrets, service_account)", k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := pc.Validate(); err != nil {
		return nil, err
	}
	return &pc, nil
}
