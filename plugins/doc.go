// Package plugins holds the OPA plugin `cosign`: its configuration, lifecycle,
// metrics and status. It builds the engine the built-ins use.
package plugins
