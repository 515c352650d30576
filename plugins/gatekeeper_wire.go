package plugins

// Gatekeeper's external-data wire format (externaldata.gatekeeper.sh/v1beta1),
// declared here field by field after the upstream types in
// github.com/open-policy-agent/frameworks/constraint/pkg/externaldata
// (request.go: ProviderRequest, Request; response.go: ProviderResponse,
// Response, Item), as Gatekeeper v3.23 sends and reads them. Importing that
// package would bring the frameworks module and Kubernetes' apimachinery into
// opa-cosign's build for five structs; gatekeeper_wire_test.go pins the JSON,
// and the Gatekeeper e2e suite speaks it with a real Gatekeeper.

const (
	gatekeeperAPIVersion      = "externaldata.gatekeeper.sh/v1beta1"
	gatekeeperAPIVersionAlpha = "externaldata.gatekeeper.sh/v1alpha1" // same JSON; older Gatekeepers
	gatekeeperRequestKind     = "ProviderRequest"
	gatekeeperResponseKind    = "ProviderResponse"
)

// providerRequest is what Gatekeeper POSTs. Keys are decoded as raw values so
// that a non-string key is reported, not silently turned into "".
type providerRequest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Request    struct {
		Keys []any `json:"keys"`
	} `json:"request"`
}

// providerResponse is the answer. Upstream marks every field omitempty:
// Gatekeeper's mutation refuses a response without `idempotent: true`, and
// reads a missing systemError as "".
type providerResponse struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Response   response `json:"response"`
}

type response struct {
	Idempotent  bool   `json:"idempotent,omitempty"`
	Items       []item `json:"items,omitempty"`
	SystemError string `json:"systemError,omitempty"` // camelCase on the wire; Rego sees system_error
}

// item answers one key: a value, or an error when the key could not be
// decided. Gatekeeper's validation hands both to the template (responses and
// errors); its mutation needs the value to be a string.
type item struct {
	Key   string `json:"key,omitempty"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}
