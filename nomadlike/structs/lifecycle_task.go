package structs

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"path"
	"strings"
)

// Lifecycle hooks, as Nomad names them.
const (
	TaskLifecycleHookPrestart  = "prestart"
	TaskLifecycleHookPoststart = "poststart"
	TaskLifecycleHookPoststop  = "poststop"
)

// Artifact getter modes, as Nomad names them.
const (
	GetterModeAny  = "any"
	GetterModeFile = "file"
	GetterModeDir  = "dir"
)

// Task event types of the lifecycle and artifact steps, as Nomad names them.
const (
	TaskDownloadingArtifacts = "Downloading Artifacts"
)

// TaskLifecycleConfig places a task relative to its group's main tasks:
// Hook says when it starts, Sidecar whether it keeps running beside them.
type TaskLifecycleConfig struct {
	Hook    string
	Sidecar bool
}

// TaskArtifact is a file or archive fetched into the task directory before
// the task starts. Field names are Nomad's.
type TaskArtifact struct {
	GetterSource  string
	GetterOptions map[string]string
	GetterHeaders map[string]string
	// GetterMode is "any" (unpack archives), "file" or "dir".
	GetterMode string
	// RelativeDest is a path inside the task directory.
	RelativeDest string
}

// IsMain reports whether t is one of its group's main tasks: those the
// lifecycle hooks are placed around.
func (t *Task) IsMain() bool { return t.Lifecycle == nil }

// IsPrestart reports whether t runs before the main tasks.
func (t *Task) IsPrestart() bool {
	return t.Lifecycle != nil && t.Lifecycle.Hook == TaskLifecycleHookPrestart
}

// IsPoststart reports whether t starts once the main tasks run.
func (t *Task) IsPoststart() bool {
	return t.Lifecycle != nil && t.Lifecycle.Hook == TaskLifecycleHookPoststart
}

// IsPoststop reports whether t runs after the main tasks stopped.
func (t *Task) IsPoststop() bool {
	return t.Lifecycle != nil && t.Lifecycle.Hook == TaskLifecycleHookPoststop
}

// IsSidecar reports whether t is a lifecycle task that keeps running
// beside the main tasks.
func (t *Task) IsSidecar() bool { return t.Lifecycle != nil && t.Lifecycle.Sidecar }

// IsEphemeral reports whether t is a lifecycle task meant to run to
// completion: a clean exit ends it instead of restarting it, whatever the
// job type.
func (t *Task) IsEphemeral() bool { return t.Lifecycle != nil && !t.Lifecycle.Sidecar }

// Copy returns a copy of the lifecycle config.
func (l *TaskLifecycleConfig) Copy() *TaskLifecycleConfig {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}

// Copy returns a deep copy of the artifact.
func (a *TaskArtifact) Copy() *TaskArtifact {
	if a == nil {
		return nil
	}
	c := *a
	c.GetterOptions = copyStringMap(a.GetterOptions)
	c.GetterHeaders = copyStringMap(a.GetterHeaders)
	return &c
}

// checksumHashes are the checksum types an artifact's `checksum` option
// may name, with their constructors.
var checksumHashes = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha512": sha512.New,
}

// ParseArtifactChecksum splits an artifact's checksum option, "type:hex"
// as Nomad writes it, into a hash constructor and the expected digest.
func ParseArtifactChecksum(s string) (func() hash.Hash, []byte, error) {
	typ, digest, ok := strings.Cut(s, ":")
	if !ok {
		return nil, nil, fmt.Errorf("checksum %q: want \"type:hex\", e.g. \"sha256:9f86d0...\"", s)
	}
	newHash, ok := checksumHashes[strings.ToLower(typ)]
	if !ok {
		return nil, nil, fmt.Errorf("checksum %q: unsupported type %q: want md5, sha1, sha256 or sha512", s, typ)
	}
	sum, err := hex.DecodeString(digest)
	if err != nil {
		return nil, nil, fmt.Errorf("checksum %q: digest is not hex: %w", s, err)
	}
	if want := newHash().Size(); len(sum) != want {
		return nil, nil, fmt.Errorf("checksum %q: a %s digest is %d hex digits, got %d", s, typ, 2*want, len(digest))
	}
	return newHash, sum, nil
}

// ArtifactDestEscapes reports whether dest, a path relative to the task
// directory, is absolute or climbs out of it with "..". Destinations that
// start with an interpolation ("${NOMAD_TASK_DIR}/x") are resolved and
// checked again on the client.
func ArtifactDestEscapes(dest string) bool {
	if strings.HasPrefix(dest, "${") {
		return false
	}
	if path.IsAbs(dest) || strings.HasPrefix(dest, `\`) {
		return true
	}
	for _, part := range strings.FieldsFunc(dest, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return true
		}
	}
	return false
}
