package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// Member names inside the archive.
const (
	metaName  = "meta.json"
	stateName = "state.bin"
	sumsName  = "SHA256SUMS"
)

// FormatVersion is the archive layout this package writes and reads.
const FormatVersion = 1

// maxMetaSize bounds meta.json and SHA256SUMS, so a garbage file cannot
// make a reader allocate without limit before the checksums fail.
const maxMetaSize = 1 << 20

// ErrCorrupt is wrapped by every error that means the archive itself is
// damaged, truncated or not an orch snapshot, as opposed to an I/O error
// of the reader or writer it was given.
var ErrCorrupt = errors.New("snapshot archive is corrupt")

// Server is one member of the Raft configuration a snapshot was taken in.
type Server struct {
	ID       string
	Address  string
	Suffrage string
}

// Meta describes a snapshot: the Raft metadata Restore needs, plus when it
// was taken and in what format.
type Meta struct {
	FormatVersion int
	// ID is Raft's snapshot ID ("<term>-<index>-<ms>").
	ID    string
	Index uint64
	Term  uint64
	// Version is Raft's snapshot format version.
	Version raft.SnapshotVersion
	// Size is the length of state.bin in bytes.
	Size               int64
	Configuration      []Server
	ConfigurationIndex uint64
	CreatedAt          time.Time
}

// FromRaft describes a snapshot Raft opened.
func FromRaft(m *raft.SnapshotMeta, createdAt time.Time) *Meta {
	out := &Meta{
		FormatVersion:      FormatVersion,
		ID:                 m.ID,
		Index:              m.Index,
		Term:               m.Term,
		Version:            m.Version,
		Size:               m.Size,
		ConfigurationIndex: m.ConfigurationIndex,
		CreatedAt:          createdAt.UTC(),
	}
	for _, s := range m.Configuration.Servers {
		out.Configuration = append(out.Configuration, Server{
			ID: string(s.ID), Address: string(s.Address), Suffrage: s.Suffrage.String(),
		})
	}
	return out
}

// RaftMeta is the metadata raft.Restore takes. The configuration is left
// out on purpose: Raft keeps the restoring cluster's own, so a snapshot
// can move to a cluster of other servers.
func (m *Meta) RaftMeta() *raft.SnapshotMeta {
	return &raft.SnapshotMeta{
		Version: m.Version,
		ID:      m.ID,
		Index:   m.Index,
		Term:    m.Term,
		Size:    m.Size,
	}
}

// Write writes an archive of meta and exactly meta.Size bytes read from
// state. It fails if state holds fewer bytes.
func Write(w io.Writer, meta *Meta, state io.Reader) error {
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("snapshot: encode meta: %w", err)
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	var sums bytes.Buffer
	modTime := meta.CreatedAt
	if modTime.IsZero() {
		modTime = time.Now()
	}

	put := func(name string, size int64, r io.Reader) error {
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: modTime, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("snapshot: write %s header: %w", name, err)
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(r, size))
		if err != nil {
			return fmt.Errorf("snapshot: write %s: %w", name, err)
		}
		if n != size {
			return fmt.Errorf("snapshot: write %s: got %d bytes, the snapshot says %d", name, n, size)
		}
		fmt.Fprintf(&sums, "%x  %s\n", h.Sum(nil), name)
		return nil
	}
	if err := put(metaName, int64(len(metaJSON)), bytes.NewReader(metaJSON)); err != nil {
		return err
	}
	if err := put(stateName, meta.Size, state); err != nil {
		return err
	}
	sumsBytes := sums.Bytes()
	if err := put(sumsName, int64(len(sumsBytes)), bytes.NewReader(sumsBytes)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("snapshot: finish tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("snapshot: finish gzip: %w", err)
	}
	return nil
}

// Read reads an archive, copying state.bin to state, and verifies it:
// every member present once and in order, sizes as meta.json says, and
// every checksum matching. An error wrapping ErrCorrupt means the archive
// is damaged; state may then hold part of the data and must be thrown
// away. The returned Meta is non-nil whenever meta.json itself could be
// read, even if a later check failed, so tools can still show it.
func Read(r io.Reader, state io.Writer) (*Meta, error) {
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, corrupt("not a gzip stream: %v", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	digests := map[string]string{}

	metaJSON, err := readMember(tr, metaName, digests, nil, maxMetaSize)
	if err != nil {
		return nil, err
	}
	var meta Meta
	if err := json.Unmarshal(metaJSON, &meta); err != nil {
		return nil, corrupt("%s: %v", metaName, err)
	}
	if meta.FormatVersion != FormatVersion {
		return &meta, corrupt("archive format %d, this orch reads %d", meta.FormatVersion, FormatVersion)
	}
	if _, err := readMember(tr, stateName, digests, state, meta.Size); err != nil {
		return &meta, err
	}
	sums, err := readMember(tr, sumsName, nil, nil, maxMetaSize)
	if err != nil {
		return &meta, err
	}
	if err := checkSums(sums, digests); err != nil {
		return &meta, err
	}
	if _, err := tr.Next(); err != io.EOF {
		return &meta, corrupt("unexpected member after %s", sumsName)
	}
	// Reading to the end makes gzip check its own CRC and length trailer.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return &meta, corrupt("gzip trailer: %v", err)
	}
	return &meta, nil
}

// Verify reads an archive without keeping its state; see Read.
func Verify(r io.Reader) (*Meta, error) {
	return Read(r, io.Discard)
}

// readMember reads the next tar member, which must be called name and
// hold size bytes (at most size when out is nil). It records the
// member's digest in digests when that is non-nil. With out nil the
// content is returned; otherwise it is copied to out.
func readMember(tr *tar.Reader, name string, digests map[string]string, out io.Writer, size int64) ([]byte, error) {
	hdr, err := tr.Next()
	if err == io.EOF {
		return nil, corrupt("%s is missing", name)
	}
	if err != nil {
		return nil, corrupt("reading %s header: %v", name, err)
	}
	if hdr.Name != name {
		return nil, corrupt("found %q where %s was expected", hdr.Name, name)
	}
	switch {
	case out == nil && hdr.Size > size:
		return nil, corrupt("%s is %d bytes, more than the %d allowed", name, hdr.Size, size)
	case out != nil && hdr.Size != size:
		return nil, corrupt("%s is %d bytes, meta.json says %d", name, hdr.Size, size)
	}
	h := sha256.New()
	var buf bytes.Buffer
	dst := io.Writer(&buf)
	if out != nil {
		dst = &writeErrMarker{w: out}
	}
	n, err := io.Copy(io.MultiWriter(dst, h), tr)
	if err != nil {
		var we *writeErr
		if errors.As(err, &we) {
			return nil, fmt.Errorf("snapshot: copy %s: %w", name, we.err)
		}
		return nil, corrupt("reading %s: %v", name, err)
	}
	if n != hdr.Size {
		return nil, corrupt("%s is truncated: %d of %d bytes", name, n, hdr.Size)
	}
	if digests != nil {
		digests[name] = hex.EncodeToString(h.Sum(nil))
	}
	return buf.Bytes(), nil
}

// checkSums compares the SHA256SUMS content with the digests computed
// while reading: each member must be listed exactly once and match.
func checkSums(sums []byte, digests map[string]string) error {
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			return corrupt("%s: malformed line %q", sumsName, line)
		}
		if _, dup := listed[name]; dup {
			return corrupt("%s lists %s twice", sumsName, name)
		}
		listed[name] = sum
	}
	for name, got := range digests {
		want, ok := listed[name]
		if !ok {
			return corrupt("%s has no checksum for %s", sumsName, name)
		}
		if want != got {
			return corrupt("checksum mismatch for %s: archive says %s, content is %s", name, want, got)
		}
	}
	if len(listed) != len(digests) {
		return corrupt("%s lists %d members, the archive holds %d", sumsName, len(listed), len(digests))
	}
	return nil
}

func corrupt(format string, args ...interface{}) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// writeErrMarker tags errors of the caller's writer, so they are not
// reported as a corrupt archive.
type writeErrMarker struct{ w io.Writer }

type writeErr struct{ err error }

func (e *writeErr) Error() string { return e.err.Error() }

func (m *writeErrMarker) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	if err != nil {
		return n, &writeErr{err: err}
	}
	return n, nil
}
