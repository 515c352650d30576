//go:build e2e && k8s

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// loadLikeKubeMgmt makes kube-mgmt's calls for every labelled ConfigMap in
// the opa namespace: policies key by key in sorted order, data as JSON.
func loadLikeKubeMgmt(t *testing.T, c cluster, srv deployed) {
	t.Helper()
	for _, kind := range []struct{ label, api string }{
		{"openpolicyagent.org/policy=rego", "policies"},
		{"openpolicyagent.org/data=opa", "data"},
	} {
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Data     map[string]string     `json:"data"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", "opa", "get", "configmaps", "-l", kind.label, "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 {
			t.Fatalf("no ConfigMap labelled %s", kind.label)
		}
		for _, cm := range list.Items {
			keys := make([]string, 0, len(cm.Data))
			for k := range cm.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				url := fmt.Sprintf("%s/%s/opa/%s/%s", srv.kubeMgmtURL, kind.api, cm.Metadata.Name, k)
				if code := srv.put(t, url, cm.Data[k], srv.token); code != http.StatusOK && code != http.StatusNoContent {
					t.Fatalf("PUT %s: %d (kube-mgmt would mark the ConfigMap failed and retry)", url, code)
				}
			}
		}
	}
}

func (s deployed) put(t *testing.T, url, body, token string) int {
	t.Helper()
	return s.do(t, http.MethodPut, url, body, token)
}

func (s deployed) get(t *testing.T, url, token string) int {
	t.Helper()
	return s.do(t, http.MethodGet, url, "", token)
}

func (s deployed) do(t *testing.T, method, url, body, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return resp.StatusCode
}

// replicateLikeKubeMgmt makes kube-mgmt's calls for --replicate-cluster=v1/namespaces: each Namespace, as the API
// server has it, at data.kubernetes.namespaces[name].
func replicateLikeKubeMgmt(t *testing.T, c cluster, srv deployed) {
	t.Helper()
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "get", "namespaces", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	for _, item := range list.Items {
		var ns struct {
			Metadata struct{ Name string } `json:"metadata"`
		}
		if err := json.Unmarshal(item, &ns); err != nil {
			t.Fatal(err)
		}
		url := srv.kubeMgmtURL + "/data/kubernetes/namespaces/" + ns.Metadata.Name
		if code := srv.put(t, url, string(item), srv.token); code != http.StatusNoContent {
			t.Fatalf("PUT %s: %d", url, code)
		}
	}
}
