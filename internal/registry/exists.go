package registry

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opa-cosign/opa-cosign/internal/reference"
)

// Missing reports whether the registry says (404) it has no manifest d in r's
// repository. Any other answer, an error included, is not proof of absence
// and reports false. One HEAD request.
func (c *Client) Missing(ctx context.Context, r reference.Reference, d v1.Hash) bool {
	repo, err := c.Repo(r)
	if err != nil {
		return false
	}
	_, err = c.puller.Head(ctx, repo.Digest(d.String()))
	return IsNotFound(err)
}
