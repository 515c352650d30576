package verify

import "strings"

// cosignAdvice is advice in cosign's messages that is about cosign's own
// setup (its TUF cache, its environment variables) and does not apply to
// opa-cosign, with what does apply here instead.
var cosignAdvice = []struct{ theirs, ours string }{
	{". Check your TUF root (see cosign initialize) or set a custom root with env var SIGSTORE_ROOT_FILE",
		" (the certificate must chain to the trust root: the trusted-root option's root, or certificate-chain with every intermediate then the root)"},
	{". Check your TUF root (see cosign initialize) or set a custom key with env var SIGSTORE_REKOR_PUBLIC_KEY",
		" (the trusted-root option's root has no transparency log with the key of this entry)"},
	{". Check your TUF root (see cosign initialize) or set a custom key with env var SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
		" (the trusted-root option's root has no certificate transparency log with the key of this SCT)"},
}

// noTlogEntry are the libraries' words for a signature that carries no
// transparency-log entry at all (cosign's legacy check, sigstore-go's).
var noTlogEntry = []string{"offline verification failed", "not enough verified log entries from transparency log: 0 <"}

// tlogHint is appended when a signature has no transparency-log entry: the
// usual cause is signing with --tlog-upload=false, and the option that
// accepts such signatures is insecure-ignore-tlog.
const tlogHint = " (the signature has no transparency-log entry, as when signed with --tlog-upload=false: " +
	"set insecure-ignore-tlog to accept signatures without one)"

// explain rewrites a library's message for a user of opa-cosign: advice that
// does not apply here is replaced by what does.
func explain(msg string) string {
	for _, a := range cosignAdvice {
		msg = strings.ReplaceAll(msg, a.theirs, a.ours)
	}
	return msg
}

// hint adds to an error what to do about it, once: a missing
// transparency-log entry names the option that accepts it. The code is
// unchanged.
func hint(e Error) Error {
	if e.Code != CodeTlogFailed {
		return e
	}
	for _, f := range noTlogEntry {
		if strings.Contains(e.Message, f) {
			e.Message += tlogHint
			return e
		}
	}
	return e
}
