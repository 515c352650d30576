// Package engine is what the built-ins call: it owns the registry client, the
// trust roots and the verifier for one configuration, applies deadlines and
// bounded concurrency, and is swapped whole when the plugin is reconfigured.
package engine
