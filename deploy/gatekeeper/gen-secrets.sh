#!/usr/bin/env bash
# Makes what the Gatekeeper provider needs besides the manifests, into OUTDIR:
#   secrets.yaml    Secret opa-cosign-provider-tls: a serving certificate for
#                   opa-cosign-provider.gatekeeper-system, from a new CA
#   providers.yaml  providers.yaml with that CA as caBundle
#   ca.crt, ca.key  the CA; keep ca.key away from the cluster, or delete it
# Needs openssl. Certificates last DAYS (default 365) days; rerun and reapply
# both files to rotate (opa-cosign reads a renewed certificate without a
# restart). EXTRA_SANS adds subject alternative names, e.g. "IP:127.0.0.1".
set -euo pipefail
out=${1:?usage: gen-secrets.sh OUTDIR}
days=${DAYS:-365}
here=$(cd "$(dirname "$0")" && pwd)
service=opa-cosign-provider namespace=gatekeeper-system
mkdir -p "$out"
cd "$out"
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -keyout ca.key -out ca.crt -subj "/CN=opa-cosign provider CA" 2> /dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout tls.key -out tls.csr -subj "/CN=$service.$namespace" 2> /dev/null
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" -out tls.crt \
  -extfile <(printf 'subjectAltName=DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n' \
    "$service" "$namespace" "$service" "$namespace" "$service" "$namespace" "${EXTRA_SANS:+,$EXTRA_SANS}") 2> /dev/null
rm -f tls.csr ca.srl

b64() { base64 -w0 < "$1"; }
cat > secrets.yaml <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: opa-cosign-provider-tls
  namespace: $namespace
type: kubernetes.io/tls
data:
  tls.crt: $(b64 tls.crt)
  tls.key: $(b64 tls.key)
YAML
rm -f tls.crt tls.key
sed "s|caBundle: CA_BUNDLE|caBundle: $(b64 ca.crt)|" "$here/providers.yaml" > providers.yaml
echo "gen-secrets: wrote $out/secrets.yaml and $out/providers.yaml"
