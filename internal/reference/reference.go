package reference

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is the canonical name of Docker Hub, whatever alias a reference uses.
const DockerHub = "docker.io"

// dockerHubAliases are the hosts that all mean Docker Hub.
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

// Parse normalises ref. A reference with neither tag nor digest means "latest";
// one with both keeps both, and the digest is what runs.
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
	rest, digest, hasDigest := strings.Cut(ref, "@")
	host, path := splitHost(rest)
	path, tag, hasTag := splitTag(path)
	if hasTag && tag == "" {
		return Reference{}, fmt.Errorf("invalid image reference %q: empty tag", ref)
	}
	if err := validatePath(path); err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if !hasDigest && tag == "" {
		tag = name.DefaultTag
	}
	if host == DockerHub && !strings.Contains(path, "/") {
		path = "library/" + path
	}

	repo, err := name.NewRepository(host+"/"+path, name.StrictValidation)
	if err != nil {
		return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	if tag != "" {
		if _, err := name.NewTag(host+"/"+path+":"+tag, name.StrictValidation); err != nil {
			return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
		}
	}
	if hasDigest {
		if _, err := name.NewDigest(host+"/"+path+"@"+digest, name.StrictValidation); err != nil {
			return Reference{}, fmt.Errorf("invalid image reference %q: %w", ref, err)
		}
	}

	r := Reference{Registry: host, Repository: path, Tag: tag, Digest: digest, Name: host + "/" + path, repo: repo}
	r.Reference = r.Name
	if tag != "" {
		r.Reference += ":" + tag
	}
	if digest != "" {
		r.Reference += "@" + digest
	}
	return r, nil
}

// imageID matches what a container runtime takes for an image ID rather than a
// name (THREATS #22): containerd and CRI-O resolve "sha256:<64 hex>" and a bare
// hex prefix of 12 to 64 characters to an image already on the node, so such a
// reference never reaches the registry that a Docker Hub reading would verify.
var imageID = regexp.MustCompile(`^(?:sha256:[0-9a-f]{64}|[0-9a-f]{12,64})$`)

// IsImageID reports whether ref, as written, is a runtime image ID.
func IsImageID(ref string) bool { return imageID.MatchString(ref) }

// splitHost separates the registry host from the path with the runtime's rule:
// the first segment is a host when it has a dot or a port, is "localhost", or
// has upper-case letters (which a repository path may not). Anything else is a
// Docker Hub path. Hosts are lower-cased and Docker Hub aliases folded.
func splitHost(ref string) (host, path string) {
	first, rest, found := strings.Cut(ref, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		return DockerHub, ref
	}
	host = strings.ToLower(first)
	if dockerHubAliases[host] {
		host = DockerHub
	}
	return host, rest
}

// splitTag separates ":tag" from the last path segment; colons before the last
// slash belong to the host and were removed already.
func splitTag(path string) (string, string, bool) {
	i := strings.LastIndex(path, ":")
	if i < 0 || strings.Contains(path[i:], "/") {
		return path, "", false
	}
	return path[:i], path[i+1:], true
}

// pathComponent is the distribution spec's grammar for one path segment.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

func validatePath(path string) error {
	for _, c := range strings.Split(path, "/") {
		if !pathComponent.MatchString(c) {
			return fmt.Errorf("repository path component %q is not [a-z0-9] separated by '.', '_', '__' or '-'", c)
		}
	}
	return nil
}

// Repo is the repository as go-containerregistry addresses it.
func (r Reference) Repo() name.Repository { return r.repo }

// DigestRef is the repository at digest d, the form every verification uses.
func (r Reference) DigestRef(d string) (name.Digest, error) {
	return name.NewDigest(r.repo.Name()+"@"+d, name.StrictValidation)
}

// TagRef is the repository at the reference's tag.
func (r Reference) TagRef() (name.Tag, error) {
	if r.Tag == "" {
		return name.Tag{}, errors.New("reference has no tag")
	}
	return name.NewTag(r.repo.Name()+":"+r.Tag, name.StrictValidation)
}

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
