//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"
)

// gateway is one shipped pair: Envoy's bootstrap and the opa-cosign config it calls.
type gateway struct {
	envoy, opa, path string
	needsBody        bool
}

var gateways = []gateway{
	{"deploy/envoy/registry-gateway.yaml", "deploy/envoy/opa-cosign-registry.yaml", "imagepolicy/envoy/registry", false},
	{"deploy/envoy/deploy-gateway.yaml", "deploy/envoy/opa-cosign-deploy.yaml", "imagepolicy/envoy/deploy", true},
}

// TestEnvoyConfigs reads each shipped Envoy config as Envoy does (YAML to the
// Bootstrap proto with protojson, unknown fields refused), runs the generated
// validation on it and on every typed_config inside, and checks that the
// ext_authz filter fails closed and reaches the opa-cosign config shipped with it.
func TestEnvoyConfigs(t *testing.T) {
	for _, g := range gateways {
		t.Run(filepath.Base(g.envoy), func(t *testing.T) {
			if err := checkGateway(readText(t, filepath.Join(repoRoot, g.envoy)), readText(t, filepath.Join(repoRoot, g.opa)), g); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestEnvoyConfigCheckerRejects is the negative twin: each mistake in a
// shipped config is caught, with a message that says what is wrong.
func TestEnvoyConfigCheckerRejects(t *testing.T) {
	g := gateways[1]
	envoy, opa := readText(t, filepath.Join(repoRoot, g.envoy)), readText(t, filepath.Join(repoRoot, g.opa))
	for _, c := range []struct{ name, from, to, want string }{
		{"fail open", "failure_mode_allow: false", "failure_mode_allow: true", "failure_mode_allow"},
		{"unknown field", "failure_mode_allow: false", "failure_mode_allowed: false", "unknown field"},
		{"invalid bootstrap field", "connect_timeout: 1s", "connect_timeout: -1s", "invalid Cluster.ConnectTimeout"},
		{"invalid field of a typed_config", "stat_prefix: deploy", `stat_prefix: ""`, "invalid HttpConnectionManager.StatPrefix"},
		{"invalid field two typed_configs deep", "max_request_bytes: 65536", "max_request_bytes: 0", "invalid BufferSettings.MaxRequestBytes"},
		{"partial bodies", "allow_partial_message: false", "allow_partial_message: true", "allow_partial_message"},
		{"wrong port", "port_value: 9192", "port_value: 9191", "9192"},
		{"no normalisation", "normalize_path: true", "normalize_path: false", "normalize_path"},
		{"timeout below opa-cosign's", "timeout: 10s", "timeout: 5s", "below"},
		{"router first", "- name: envoy.filters.http.ext_authz", "- name: envoy.filters.http.ext_authz_moved", "ext_authz"},
	} {
		t.Run(c.name, func(t *testing.T) {
			changed := strings.Replace(envoy, c.from, c.to, 1)
			if changed == envoy {
				t.Fatalf("%q is not in %s", c.from, g.envoy)
			}
			err := checkGateway(changed, opa, g)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func checkGateway(envoyYAML, opaYAML string, g gateway) error {
	js, err := yaml.YAMLToJSON([]byte(envoyYAML))
	if err != nil {
		return err
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	if err := validateDeep(&b); err != nil {
		return err
	}
	var opa struct {
		Plugins struct {
			Cosign struct {
				Timeout string `json:"timeout"`
			} `json:"cosign"`
			Envoy struct {
				Addr string `json:"addr"`
				Path string `json:"path"`
			} `json:"envoy_ext_authz_grpc"`
		} `json:"plugins"`
	}
	if err := yaml.Unmarshal([]byte(opaYAML), &opa); err != nil {
		return err
	}
	if opa.Plugins.Envoy.Path != g.path {
		return fmt.Errorf("%s: path %q, want %q", g.opa, opa.Plugins.Envoy.Path, g.path)
	}
	verifyTimeout, err := time.ParseDuration(opa.Plugins.Cosign.Timeout)
	if err != nil {
		return fmt.Errorf("%s: plugins.cosign.timeout: %w", g.opa, err)
	}
	_, port, err := net.SplitHostPort(opa.Plugins.Envoy.Addr)
	if err != nil {
		return err
	}
	if len(b.GetStaticResources().GetListeners()) == 0 {
		return errors.New("no listener")
	}
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				var hcm hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
					return fmt.Errorf("listener %s: %w", l.GetName(), err)
				}
				if err := checkHCM(&hcm, b.GetStaticResources().GetClusters(), port, verifyTimeout, g.needsBody); err != nil {
					return fmt.Errorf("listener %s: %w", l.GetName(), err)
				}
			}
		}
	}
	return nil
}

func checkHCM(hcm *hcmv3.HttpConnectionManager, clusters []*clusterv3.Cluster, opaPort string, verifyTimeout time.Duration, needsBody bool) error {
	if !hcm.GetNormalizePath().GetValue() || !hcm.GetMergeSlashes() ||
		hcm.GetPathWithEscapedSlashesAction() != hcmv3.HttpConnectionManager_REJECT_REQUEST {
		return errors.New("paths must be normalised (normalize_path, merge_slashes, path_with_escaped_slashes_action: REJECT_REQUEST)")
	}
	filters := hcm.GetHttpFilters()
	if len(filters) != 2 || filters[0].GetName() != "envoy.filters.http.ext_authz" || filters[1].GetName() != "envoy.filters.http.router" {
		return errors.New("http_filters must be ext_authz, then the router")
	}
	var authz extauthzv3.ExtAuthz
	if err := filters[0].GetTypedConfig().UnmarshalTo(&authz); err != nil {
		return err
	}
	switch {
	case authz.GetFailureModeAllow():
		return errors.New("ext_authz: failure_mode_allow must be false")
	case authz.GetShadowMode() || authz.GetFilterEnabled() != nil || authz.GetDenyAtDisable() != nil:
		return errors.New("ext_authz: must always enforce (no shadow_mode, filter_enabled, deny_at_disable)")
	case authz.GetTransportApiVersion().String() != "V3":
		return errors.New("ext_authz: transport_api_version must be V3")
	case needsBody && (authz.GetWithRequestBody().GetMaxRequestBytes() == 0 || authz.GetWithRequestBody().GetAllowPartialMessage()):
		return errors.New("ext_authz: with_request_body needs max_request_bytes and allow_partial_message: false")
	}
	grpc := authz.GetGrpcService()
	if timeout := grpc.GetTimeout().AsDuration(); timeout <= verifyTimeout {
		return fmt.Errorf("ext_authz: grpc timeout %s is below plugins.cosign.timeout %s: Envoy would give up before opa-cosign answers", timeout, verifyTimeout)
	}
	name := grpc.GetEnvoyGrpc().GetClusterName()
	for _, c := range clusters {
		if c.GetName() != name {
			continue
		}
		if c.GetTypedExtensionProtocolOptions() == nil {
			return fmt.Errorf("cluster %s: gRPC needs HTTP/2 (typed_extension_protocol_options)", name)
		}
		for _, e := range c.GetLoadAssignment().GetEndpoints() {
			for _, lb := range e.GetLbEndpoints() {
				got := strconv.Itoa(int(lb.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()))
				if got != opaPort {
					return fmt.Errorf("cluster %s: port %s, but opa-cosign's plugin listens on %s", name, got, opaPort)
				}
			}
		}
		return nil
	}
	return fmt.Errorf("ext_authz: cluster %q is not defined", name)
}

// validateDeep runs the generated validation on m and, since it does not look
// inside google.protobuf.Any, on every typed_config, recursively.
func validateDeep(m proto.Message) error {
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: invalid: %w", m.ProtoReflect().Descriptor().FullName(), err)
		}
	}
	var err error
	walk(m.ProtoReflect(), func(a *anypb.Any) {
		if err != nil {
			return
		}
		inner, e := a.UnmarshalNew()
		if e != nil {
			err = fmt.Errorf("%s: %w", a.GetTypeUrl(), e)
			return
		}
		err = validateDeep(inner)
	})
	return err
}

func walk(m protoreflect.Message, visit func(*anypb.Any)) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		visit(a)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				walk(mv.Message(), visit)
				return true
			})
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				walk(v.List().Get(i).Message(), visit)
			}
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			walk(v.Message(), visit)
		}
		return true
	})
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
