package reference

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	distref "github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the canonical name of Docker Hub, whatever alias a reference uses.
const DockerHub = "docker.io"

// dockerHubAliases are the hosts that all mean Docker Hub. distribution folds
// the first two; registry-1.docker.io is the host Docker Hub's registry API
// answers on, so a reference naming it pulls the same images.
var dockerHubAliases = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
}

// Reference is a normalised image reference.
type Reference struct {
	Registry   string // lower-cased host[:port]; Docker Hub is always "docker.io"
	Repository string // path within the registry; official images get "library/"
	Tag        string // "" when the reference has only a digest
	Digest     string // "" when the reference has no digest
	Name       string // Registry + "/" + Repository
	Reference  string // Name with ":tag", "@digest" or both

	repo name.Repository
}

// imageID matches what a container runtime takes for an image ID rather than a
// name (docs/security.md #22): containerd and CRI-O resolve "sha256:<64 hex>" and a bare
// hex prefix of 12 to 64 characters to an image already on the node, so such a
// reference never reaches the registry that a Docker Hub reading would verify.
var imageID = regexp.MustCompile(`^(?:sha256:[0-9a-f]{64}|[0-9a-f]{12,64})$`)

// IsImageID reports whether ref, as written, is a runtime image ID.
func IsImageID(ref string) bool { return imageID.MatchString(ref) }

// Parse normalises ref as the kubelet and container runtimes do: it is
// github.com/distribution/reference's ParseNormalizedNamed (Docker Hub for a
// first segment that is not a host, "library/" for official images), with
// hosts lower-cased, every Docker Hub alias folded to docker.io, image IDs
// refused, and only what go-containerregistry (our registry client) can
// address. A reference with neither tag nor digest means "latest"; one with
// both keeps both, and the digest is what runs.
func Parse(ref string) (Reference, error) {
	if ref == "" {
		return Reference{}, errors.New("empty image reference")
	}
	if strings.TrimSpace(ref) != ref {
		return Reference{}, fmt.Errorf("image reference %q has surrounding white space", ref)
	}
	if IsImageID(ref) {
		return Reference{}, fmt.Errorf("%q is an image ID, not an image reference: a container runtime resolves it to an image already on the node, not from a registry", ref)
	}
	named, err := distref.ParseNormalizedNamed(ref)
	if err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	host, path := strings.ToLower(distref.Domain(named)), distref.Path(named)
	if dockerHubAliases[host] {
		host = DockerHub
		if !strings.Contains(path, "/") {
			path = "library/" + path
		}
	}
	r := Reference{Registry: host, Repository: path, Name: host + "/" + path}
	if t, ok := named.(distref.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(distref.Digested); ok {
		r.Digest = d.Digest().String()
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = name.DefaultTag
	}
	r.Reference = r.Name
	if r.Tag != "" {
		r.Reference += ":" + r.Tag
	}
	if r.Digest != "" {
		r.Reference += "@" + r.Digest
	}
	// The registry client must address exactly this repository, tag and
	// digest (it accepts sha256 digests only).
	if r.repo, err = name.NewRepository(r.Name, name.StrictValidation); err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if r.Tag != "" {
		if _, err := name.NewTag(r.Name+":"+r.Tag, name.StrictValidation); err != nil {
			return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
		}
	}
	if r.Digest != "" {
		if _, err := name.NewDigest(r.Name+"@"+r.Digest, name.StrictValidation); err != nil {
			return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
		}
	}
	return r, nil
}

// Repo is the repository as go-containerregistry addresses it.
func (r Reference) Repo() name.Repository { return r.repo }

// Map is the object image.parse returns.
func (r Reference) Map() map[string]any {
	return map[string]any{
		"registry":   r.Registry,
		"repository": r.Repository,
		"tag":        r.Tag,
		"digest":     r.Digest,
		"name":       r.Name,
		"reference":  r.Reference,
	}
}
