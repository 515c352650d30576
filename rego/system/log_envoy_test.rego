package system.log_envoy_test

import rego.v1

import data.system.log

event := {"input": {
	"attributes": {"request": {"http": {
		"method": "POST",
		"path": "/deploy?token=s3cr3t",
		"host": "deploy.example",
		"headers": {
			":authority": "deploy.example", ":method": "POST", ":path": "/deploy?token=s3cr3t",
			"authorization": "Bearer s3cr3t", "Cookie": "session=s3cr3t", "proxy-authorization": "Basic s3cr3t",
			"x-custom-token": "s3cr3t", "content-type": "application/json", "user-agent": "ci",
		},
		"header_map": {"headers": [{"key": "authorization", "raw_value": "czNjcjN0"}, {"key": "accept", "value": "*/*"}]},
		"body": "{\"images\": [\"a\"], \"env\": {\"PASSWORD\": \"s3cr3t\"}}",
	}}},
	"parsed_path": ["deploy"],
	"parsed_query": {"token": ["s3cr3t"]},
	"parsed_body": {"images": ["a"], "namespace": "prod", "env": {"PASSWORD": "s3cr3t"}},
	"truncated_body": false,
}}

test_credentials_and_secrets_are_masked if {
	m := log.mask with input as event
	{"op": "upsert", "path": "/input/attributes/request/http/headers", "value": {
		":authority": "deploy.example", ":method": "POST", ":path": "/deploy",
		"content-type": "application/json", "user-agent": "ci",
	}} in m
	{"op": "upsert", "path": "/input/attributes/request/http/header_map", "value": {"headers": [{"key": "accept", "value": "*/*"}]}} in m
	{"op": "upsert", "path": "/input/attributes/request/http/path", "value": "/deploy"} in m
	{"op": "upsert", "path": "/input/parsed_body", "value": {"images": ["a"], "namespace": "prod"}} in m
	every p in ["/input/parsed_query", "/input/attributes/request/http/query", "/input/attributes/request/http/body", "/input/attributes/request/http/raw_body"] {
		p in m
	}
}

test_non_object_bodies_are_removed if {
	m := log.mask with input as json.patch(event, [{"op": "replace", "path": "/input/parsed_body", "value": "s3cr3t"}])
	"/input/parsed_body" in m
}

test_other_decisions_are_untouched if {
	m := log.mask with input as {"input": {"request": {"object": {"spec": {}}}}}
	every r in m {
		not startswith(path_of(r), "/input/attributes")
		path_of(r) != "/input/parsed_body"
	}
}

path_of(r) := r if is_string(r)

path_of(r) := r.path if is_object(r)

test_header_map_of_an_unknown_shape_is_removed if {
	every shape in [{"headers": "authorization: s3cr3t"}, {"raw": "authorization: s3cr3t"}, "authorization: s3cr3t"] {
		m := log.mask with input as json.patch(event, [{"op": "replace", "path": "/input/attributes/request/http/header_map", "value": shape}])
		"/input/attributes/request/http/header_map" in m
	}
}
