package getter

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Defaults bound a download: it must not hang a task's start forever nor
// fill the client's disk.
const (
	DefaultTimeout  = 30 * time.Minute
	DefaultMaxBytes = 10 << 30
	// headerTimeout bounds the wait for a server that accepted the
	// connection but never answers, which would otherwise take the whole
	// DefaultTimeout to notice.
	headerTimeout = 30 * time.Second
)

// ErrChecksumMismatch is returned when a download does not match its
// checksum option; a retry fetches the same bytes, so callers may want to
// tell it apart from a network error.
var ErrChecksumMismatch = errors.New("checksum mismatch")

// Config bounds the getter. Zero fields take the defaults.
type Config struct {
	// Timeout bounds one artifact's whole download.
	Timeout time.Duration
	// MaxBytes bounds one artifact's size, downloaded and unpacked.
	MaxBytes int64
	// Client is the HTTP client; nil builds one with headerTimeout.
	Client *http.Client
}

// Getter fetches artifacts. It is safe for concurrent use.
type Getter struct {
	timeout  time.Duration
	maxBytes int64
	client   *http.Client
}

// New returns a getter bounded by cfg.
func New(cfg Config) *Getter {
	g := &Getter{timeout: cfg.Timeout, maxBytes: cfg.MaxBytes, client: cfg.Client}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
	}
	if g.maxBytes <= 0 {
		g.maxBytes = DefaultMaxBytes
	}
	if g.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = headerTimeout
		g.client = &http.Client{Transport: tr}
	}
	return g
}

// Get fetches one artifact, its fields already interpolated, into taskDir.
// In mode "file" RelativeDest names the file; otherwise it names a
// directory, into which an archive is unpacked ("any" and "dir") or a
// plain file is saved under its URL's name ("any" only).
func (g *Getter) Get(ctx context.Context, taskDir string, a *structs.TaskArtifact) error {
	src, err := url.Parse(a.GetterSource)
	if err != nil {
		return fmt.Errorf("artifact source %q: %w", a.GetterSource, err)
	}
	if src.Scheme != "http" && src.Scheme != "https" {
		return fmt.Errorf("artifact source %q: unsupported scheme %q: want http or https", a.GetterSource, src.Scheme)
	}
	root, err := filepath.EvalSymlinks(taskDir)
	if err != nil {
		return fmt.Errorf("artifact: task directory: %w", err)
	}
	dest, err := resolveDest(filepath.Clean(taskDir), root, a.RelativeDest)
	if err != nil {
		return err
	}
	kind := archiveKind(src.Path)
	mode := a.GetterMode
	if mode == "" {
		mode = structs.GetterModeAny
	}
	if mode == structs.GetterModeDir && kind == "" {
		return fmt.Errorf("artifact %q: mode %q needs an archive (.tar, .tar.gz, .tgz, .zip); use mode %q for a single file",
			a.GetterSource, mode, structs.GetterModeFile)
	}

	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	tmp, err := g.download(ctx, root, a)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)

	switch {
	case mode == structs.GetterModeFile:
		return place(root, tmp, dest)
	case kind != "":
		return unpack(kind, tmp, root, dest, g.maxBytes)
	default:
		return place(root, tmp, filepath.Join(dest, fileName(src)))
	}
}

// download saves the artifact to a temporary file inside root, so that
// placing it is a rename on the same file system, and verifies its
// checksum.
func (g *Getter) download(ctx context.Context, root string, a *structs.TaskArtifact) (string, error) {
	var newHash func() hash.Hash
	var want []byte
	if sum, ok := a.GetterOptions["checksum"]; ok {
		var err error
		if newHash, want, err = structs.ParseArtifactChecksum(sum); err != nil {
			return "", fmt.Errorf("artifact %q: %w", a.GetterSource, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.GetterSource, nil)
	if err != nil {
		return "", fmt.Errorf("artifact %q: %w", a.GetterSource, err)
	}
	for k, v := range a.GetterHeaders {
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch artifact: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch artifact %q: server answered %s", a.GetterSource, resp.Status)
	}
	f, err := os.CreateTemp(root, ".artifact-*")
	if err != nil {
		return "", fmt.Errorf("fetch artifact: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	var w io.Writer = f
	var h hash.Hash
	if newHash != nil {
		h = newHash()
		w = io.MultiWriter(f, h)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, g.maxBytes+1))
	if err != nil {
		return fail(fmt.Errorf("fetch artifact %q: %w", a.GetterSource, err))
	}
	if n > g.maxBytes {
		return fail(fmt.Errorf("fetch artifact %q: larger than the %d byte limit", a.GetterSource, g.maxBytes))
	}
	if h != nil {
		if got := h.Sum(nil); subtle.ConstantTimeCompare(got, want) != 1 {
			return fail(fmt.Errorf("artifact %q: %w: want %s, got %s", a.GetterSource, ErrChecksumMismatch,
				hex.EncodeToString(want), hex.EncodeToString(got)))
		}
	}
	if err := f.Close(); err != nil {
		return fail(fmt.Errorf("fetch artifact: %w", err))
	}
	return tmp, nil
}

// place moves a downloaded file to dest, making its directory.
func place(root, tmp, dest string) error {
	if err := mkdirInside(root, filepath.Dir(dest)); err != nil {
		return err
	}
	if err := removeIfLink(dest); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("place artifact: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("place artifact: %w", err)
	}
	return nil
}

// archiveKind tells an archive by its URL path's extension, as go-getter
// does; "" means a plain file.
func archiveKind(p string) string {
	lower := strings.ToLower(p)
	for _, ext := range []string{".tar.gz", ".tgz", ".tar", ".zip"} {
		if strings.HasSuffix(lower, ext) {
			return ext
		}
	}
	return ""
}

// fileName is the name a plain file is saved under in mode "any".
func fileName(u *url.URL) string {
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == ".." || name == "" {
		return "artifact"
	}
	return name
}

// resolveDest returns the absolute destination for rel inside root, the
// task directory with its symlinks resolved. An absolute rel is accepted
// only when it lies inside the task directory, as an interpolated
// "${NOMAD_TASK_DIR}/x" does.
func resolveDest(taskDir, root, rel string) (string, error) {
	if rel == "" {
		rel = "local"
	}
	if filepath.IsAbs(rel) {
		r, ok := relInside(taskDir, rel)
		if !ok {
			if r, ok = relInside(root, rel); !ok {
				return "", fmt.Errorf("artifact destination %q is outside the task directory", rel)
			}
		}
		rel = r
	}
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		if part == ".." {
			return "", fmt.Errorf("artifact destination %q leaves the task directory: remove the \"..\"", rel)
		}
	}
	return filepath.Join(root, rel), nil
}
