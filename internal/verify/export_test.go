package verify

// MessageCodes exposes the message table to its test.
var MessageCodes = messageCodes

// Classify exposes classifyCandidate (signatures) to the message-table test.
func Classify(err error) string { return classifyCandidate(err, Signatures) }
