# Test world: two private Sigstore deployments, corp A and corp B, each a trusted_root.json with one Fulcio CA (a
# real self-signed P-256 certificate, because the mock checks options with the real cosign.check_options). Carol's
# keyless signature chains to corp A's CA only.
package imagepolicy.testing

import rego.v1

ca_corp_a := "MIIBqDCCAU+gAwIBAgIUKjYP70ua7P3So60oVI0lJ7aV0LEwCgYIKoZIzj0EAwIwKTEPMA0GA1UECgwGY29ycC1hMRYwFAYDVQQDDA1jb3JwLWEgZnVsY2lvMCAXDTI2MTIwNTA3NTc1NVoYDzIxMjYxMTExMDc1NzU1WjApMQ8wDQYDVQQKDAZjb3JwLWExFjAUBgNVBAMMDWNvcnAtYSBmdWxjaW8wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ5cmrI2FHHPe118tExm6JOxnqwWckwwfq5N+Rj+idK0oCOxpHpONaAd8r48dVtK5fPFZWdZM/B3InzP+ertP0Ao1MwUTAdBgNVHQ4EFgQUmrR1qvTsbkflTUHQo0grMUcthtwwHwYDVR0jBBgwFoAUmrR1qvTsbkflTUHQo0grMUcthtwwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiAvJ7umBDHw3ChndHRe3HHb8XlRPx5MjYVI2xZXK7oQAwIgew38jJl1ACGjnNElWl3wthE4BKwBNpWDe1ufsCU3+sg="

ca_corp_b := "MIIBqDCCAU+gAwIBAgIUFlvz0VX8Zu1ITzkEk4GNosLaDDQwCgYIKoZIzj0EAwIwKTEPMA0GA1UECgwGY29ycC1iMRYwFAYDVQQDDA1jb3JwLWIgZnVsY2lvMCAXDTI2MTIwNTA3NTc1NVoYDzIxMjYxMTExMDc1NzU1WjApMQ8wDQYDVQQKDAZjb3JwLWIxFjAUBgNVBAMMDWNvcnAtYiBmdWxjaW8wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARfb66gRWlEy9vuCkwSv6+Zp1ydYSdsnWEtaqEN7VFZvcS4j5X0+mvhG7KL+SMmXmz21MdKwq3MltJ89QlzCYyko1MwUTAdBgNVHQ4EFgQUO2IziWXWQT+P5p7xD9Kt0Z56sO0wHwYDVR0jBBgwFoAUO2IziWXWQT+P5p7xD9Kt0Z56sO0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBwqUIE8nKMhAOrEDkzMHOwZXoujLbsTIcwp4M1tqXhTwIgToSpR3qufvy8HCJa7I2TIGY2U4DbwgWMU3NrI6xkJk4="

root(name, ca) := {
	"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
	"certificateAuthorities": [{
		"subject": {"organization": name, "commonName": sprintf("%s fulcio", [name])},
		"uri": sprintf("https://fulcio.%s.example", [name]),
		"certChain": {"certificates": [{"rawBytes": ca}]},
		"validFor": {"start": "2020-01-01T00:00:00Z"},
	}],
}

root_corp_a := root("corp-a", ca_corp_a)

root_corp_b := root("corp-b", ca_corp_b)

carol_corp_a := {"subject": "carol@corp.example", "issuer": issuer, "ca": ca_corp_a}

# carol names Carol's identity, with the transparency log and SCTs off (the corp roots have neither).
carol := {
	"certificate-identity": "carol@corp.example", "certificate-oidc-issuer": issuer,
	"insecure-ignore-tlog": true, "insecure-ignore-sct": true,
}
