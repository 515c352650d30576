// Package kube reads what the kubelet would use to pull a workload's images —
// its pull secrets and its ServiceAccount's — from the Kubernetes API server,
// with the in-cluster identity and nothing but two GET requests, and turns
// them into a registry keyring. It is a small REST client on purpose: client-go
// would add megabytes and an informer machinery for two reads (see the commit
// that added it for the measured sizes).
package kube
