package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/snapshot"
)

func testSnapshotArchive(t *testing.T) []byte {
	t.Helper()
	state := bytes.Repeat([]byte("state"), 500)
	meta := &snapshot.Meta{FormatVersion: snapshot.FormatVersion, ID: "2-17-1700000000000", Index: 17, Term: 2,
		Version: 1, Size: int64(len(state)), CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, meta, bytes.NewReader(state)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serveArchive answers a snapshot save with body and the digest of
// digestOf, so a test can make them disagree.
func serveArchive(body, digestOf []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256(digestOf)
		w.Header().Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum[:]))
		w.Header().Set("X-Nomad-Index", "17")
		_, _ = w.Write(body)
	}
}

func TestOperatorSnapshotSave(t *testing.T) {
	archive := testSnapshotArchive(t)
	corrupt := bytes.Clone(archive)
	corrupt[len(corrupt)/2] ^= 0x10
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"saved", serveArchive(archive, archive), 0, "State file written to", ""},
		{"cut short in transit", serveArchive(archive[:len(archive)/2], archive), 1, "", "does not match the agent's digest"},
		{"agent sent a damaged archive", serveArchive(corrupt, corrupt), 1, "", "does not verify"},
		{"no leader", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "No cluster leader", http.StatusInternalServerError)
		}, 1, "", "No cluster leader"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAPI(t, map[string]interface{}{"GET /v1/operator/snapshot": tc.handler})
			dir := t.TempDir()
			path := filepath.Join(dir, "backup.snap")
			const previous = "the previous backup"
			if err := os.WriteFile(path, []byte(previous), 0o600); err != nil {
				t.Fatal(err)
			}
			ui := newUi()
			cmd := &OperatorSnapshotSaveCommand{Meta: Meta{Ui: ui}}
			code := cmd.Run([]string{"-address", addr, path})
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wantOut)
			assertContains(t, ui.ErrorWriter.String(), tc.wantErr)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantCode == 0 && !bytes.Equal(got, archive) {
				t.Fatalf("file holds %d bytes, want the %d-byte archive", len(got), len(archive))
			}
			if tc.wantCode != 0 && string(got) != previous {
				t.Fatalf("a failed save changed the file: %q", got)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("directory holds %d entries, want only the snapshot (no temporary files left)", len(entries))
			}
		})
	}
}

func TestOperatorSnapshotInspect(t *testing.T) {
	dir := t.TempDir()
	archive := testSnapshotArchive(t)
	good := filepath.Join(dir, "good.snap")
	bad := filepath.Join(dir, "bad.snap")
	garbage := filepath.Join(dir, "garbage.snap")
	damaged := bytes.Clone(archive)
	damaged[len(damaged)-10] ^= 0x01
	for path, b := range map[string][]byte{good: archive, bad: damaged, garbage: []byte("not a snapshot")} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		path     string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"good", good, 0, []string{"ID = 2-17-1700000000000", "Size = 2500", "Index = 17", "Term = 2", "Version = 1",
			"Created = 2030-01-02T03:04:05Z", "Checksum = ok"}, ""},
		{"damaged", bad, 1, []string{"Index = 17", "Checksum = FAILED"}, "is damaged"},
		{"not an archive", garbage, 1, nil, "not a gzip stream"},
		{"missing", filepath.Join(dir, "nope"), 1, nil, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &OperatorSnapshotInspectCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run([]string{tc.path}); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wantOut...)
			assertContains(t, ui.ErrorWriter.String(), tc.wantErr)
		})
	}
}

func TestOperatorSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	archive := testSnapshotArchive(t)
	good := filepath.Join(dir, "good.snap")
	truncated := filepath.Join(dir, "truncated.snap")
	if err := os.WriteFile(good, archive, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, archive[:len(archive)-20], 0o600); err != nil {
		t.Fatal(err)
	}
	var puts atomic.Int32
	var received []byte
	addr := fakeAPI(t, map[string]interface{}{
		"PUT /v1/operator/snapshot": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			puts.Add(1)
			received, _ = io.ReadAll(r.Body)
			w.Header().Set("X-Nomad-Index", "30")
		}),
	})
	cases := []struct {
		name     string
		path     string
		wantCode int
		wantPuts int32
		wantErr  string
	}{
		{"truncated file refused before sending", truncated, 1, 0, "refusing to restore"},
		{"restored", good, 0, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &OperatorSnapshotRestoreCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run([]string{"-address", addr, tc.path}); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			if got := puts.Load(); got != tc.wantPuts {
				t.Fatalf("%d restore requests sent, want %d", got, tc.wantPuts)
			}
			assertContains(t, ui.ErrorWriter.String(), tc.wantErr)
		})
	}
	if !bytes.Equal(received, archive) {
		t.Fatalf("agent received %d bytes, want the whole %d-byte archive", len(received), len(archive))
	}
}
