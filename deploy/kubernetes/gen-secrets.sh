#!/usr/bin/env bash
# Makes what the admission deployment needs besides the manifests, into OUTDIR:
#   secrets.yaml   Secret opa-cosign-tls (a serving certificate for
#                  opa-cosign.opa.svc, from a new CA) and Secret
#                  opa-cosign-kube-mgmt-token (kube-mgmt's token for the OPA API)
#   webhooks.yaml  webhooks/webhooks.yaml with that CA as caBundle
#   ca.crt, ca.key the CA; keep ca.key away from the cluster, or delete it
# Needs openssl. Certificates last DAYS (default 365) days; rerun and reapply
# both files to rotate. EXTRA_SANS adds subject alternative names, e.g.
# "IP:127.0.0.1,DNS:opa.example" for a webhook called by URL. With cert-manager
# instead, see docs/deployment.md.
set -euo pipefail
out=${1:?usage: gen-secrets.sh OUTDIR}
days=${DAYS:-365}
here=$(cd "$(dirname "$0")" && pwd)
service=opa-cosign namespace=opa
mkdir -p "$out"
cd "$out"
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -keyout ca.key -out ca.crt -subj "/CN=opa-cosign admission CA" 2> /dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout tls.key -out tls.csr -subj "/CN=$service.$namespace.svc" 2> /dev/null
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" -out tls.crt \
  -extfile <(printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n' \
    "$service" "$service" "$namespace" "$service" "$namespace" "$service" "$namespace" "${EXTRA_SANS:+,$EXTRA_SANS}") 2> /dev/null
rm -f tls.csr ca.srl

b64() { base64 -w0 < "$1"; }
cat > secrets.yaml <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: opa-cosign-tls
  namespace: $namespace
type: kubernetes.io/tls
data:
  tls.crt: $(b64 tls.crt)
  tls.key: $(b64 tls.key)
---
apiVersion: v1
kind: Secret
metadata:
  name: opa-cosign-kube-mgmt-token
  namespace: $namespace
type: Opaque
data:
  token: $(openssl rand -hex 32 | tr -d '\n' | base64 -w0)
YAML
rm -f tls.crt tls.key
sed "s|caBundle: CA_BUNDLE|caBundle: $(b64 ca.crt)|" "$here/webhooks/webhooks.yaml" > webhooks.yaml
echo "gen-secrets: wrote $out/secrets.yaml and $out/webhooks.yaml"
