# Decision-log masking for the Envoy gateways (docs/envoy.md). Plain comments, not METADATA: the package's
# annotation belongs to rego/system/log.rego, and a package is annotated once.
#
# Decision logs of the OPA-Envoy plugin record the whole CheckRequest. These rules keep what explains a decision
# (method, path, authority, the images of a deploy body, and the result with each image's digest and signers)
# and drop what can carry credentials or secrets: every request header not listed in envoy_logged_headers
# (so Authorization, Proxy-Authorization and Cookie never reach a log), the query string, the raw body, and
# every field of a parsed body but images and namespace. Incremental rules only: other files of package
# system.log add their own.
package system.log

import rego.v1

# envoy_http is the HTTP request of an Envoy decision (input.input is the decision's input).
envoy_http := input.input.attributes.request.http

# Request headers that explain a decision and carry no credentials; all others are removed from the log.
envoy_logged_headers := {
	":authority", ":method", ":path", ":scheme", "host", "user-agent", "accept", "accept-encoding",
	"content-type", "content-length", "x-request-id", "x-forwarded-for", "x-forwarded-proto",
	"x-envoy-auth-partial-body", "docker-distribution-api-version",
}

envoy_header_kept(name) if lower(name) in envoy_logged_headers

envoy_without_query(path) := split(path, "?")[0]

envoy_header_value(name, value) := envoy_without_query(value) if lower(name) == ":path"

else := value

mask contains {"op": "upsert", "path": "/input/attributes/request/http/headers", "value": kept} if {
	is_object(envoy_http.headers)
	kept := {name: envoy_header_value(name, value) |
		some name, value in envoy_http.headers
		envoy_header_kept(name)
	}
}

# header_map is how Envoy sends headers with encode_raw_headers: a list of {key, value | raw_value}.
mask contains {"op": "upsert", "path": "/input/attributes/request/http/header_map", "value": {"headers": kept}} if {
	is_array(envoy_http.header_map.headers)
	kept := [h |
		some h in envoy_http.header_map.headers
		envoy_header_kept(h.key)
	]
}

mask contains "/input/attributes/request/http/header_map" if {
	"header_map" in object.keys(envoy_http)
	not envoy_header_list(envoy_http.header_map)
}

envoy_header_list(m) := m.headers if {
	is_object(m)
	is_array(m.headers)
}

# A query can carry tokens (signed URLs, ?token=): the logged path stops at "?".
mask contains {"op": "upsert", "path": "/input/attributes/request/http/path", "value": envoy_without_query(envoy_http.path)} if {
	contains(envoy_http.path, "?")
}

mask contains "/input/parsed_query" if envoy_http

mask contains "/input/attributes/request/http/query" if envoy_http

mask contains "/input/attributes/request/http/body" if envoy_http

mask contains "/input/attributes/request/http/raw_body" if envoy_http

# A deploy body keeps the images it asked for (the result has their verdicts) and its namespace, nothing else.
mask contains {"op": "upsert", "path": "/input/parsed_body", "value": object.filter(input.input.parsed_body, ["images", "namespace"])} if {
	envoy_http
	is_object(input.input.parsed_body)
}

mask contains "/input/parsed_body" if {
	envoy_http
	not is_object(input.input.parsed_body)
}
