package plugins

import (
	"encoding/json"
	"testing"
)

// TestGatekeeperWireFormat pins the JSON of the provider's answers to what
// Gatekeeper v3.23 decodes (frameworks' externaldata.ProviderResponse:
// apiVersion, kind, response.idempotent, response.items[].key/value/error,
// response.systemError in camelCase, all omitempty), and its requests to
// what Gatekeeper encodes (NewProviderRequest: apiVersion
// externaldata.gatekeeper.sh/v1beta1, kind ProviderRequest, request.keys).
func TestGatekeeperWireFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		resp providerResponse
		want string
	}{
		{"values", providerResponse{APIVersion: gatekeeperAPIVersion, Kind: gatekeeperResponseKind, Response: response{Idempotent: true, Items: []item{
			{Key: "ghcr.io/acme/app:1", Value: "ghcr.io/acme/app@sha256:aa"},
			{Key: "ghcr.io/acme/bad:1", Error: "opa-cosign: no_signatures: none"},
			{Key: "ghcr.io/acme/obj:1", Value: map[string]any{"allowed": false}},
		}}}, `{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderResponse","response":{"idempotent":true,"items":[` +
			`{"key":"ghcr.io/acme/app:1","value":"ghcr.io/acme/app@sha256:aa"},{"key":"ghcr.io/acme/bad:1","error":"opa-cosign: no_signatures: none"},` +
			`{"key":"ghcr.io/acme/obj:1","value":{"allowed":false}}]}}`},
		{"system error", providerResponse{APIVersion: gatekeeperAPIVersion, Kind: gatekeeperResponseKind, Response: response{Idempotent: true, SystemError: "opa-cosign: x"}},
			`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderResponse","response":{"idempotent":true,"systemError":"opa-cosign: x"}}`},
	} {
		b, err := json.Marshal(c.resp)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, b, c.want)
		}
	}

	// Gatekeeper's request, byte for byte as json.Marshal(NewProviderRequest(keys)) writes it.
	var req providerRequest
	if err := json.Unmarshal([]byte(`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":["a:1","b@sha256:00"]}}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.APIVersion != gatekeeperAPIVersion || req.Kind != gatekeeperRequestKind || len(req.Request.Keys) != 2 || req.Request.Keys[1] != "b@sha256:00" {
		t.Fatalf("decoded %+v", req)
	}
}
