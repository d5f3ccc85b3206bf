package getter

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// entry is one member of a test archive; link makes it a symlink.
type entry struct {
	name, body, link string
	mode             int64
}

func tarGz(t *testing.T, gz bool, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w = &buf
	var gzw *gzip.Writer
	tw := tar.NewWriter(w)
	if gz {
		gzw = gzip.NewWriter(w)
		tw = tar.NewWriter(gzw)
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.mode != 0 {
			hdr.Mode = e.mode
		}
		switch {
		case e.link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeSymlink, e.link, 0
		case strings.HasSuffix(e.name, "/"):
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gzw != nil {
		if err := gzw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		fh.SetMode(0o755)
		body := e.body
		if e.link != "" {
			fh.SetMode(os.ModeSymlink | 0o777)
			body = e.link
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Of(b []byte) string { s := sha256.Sum256(b); return "sha256:" + hex.EncodeToString(s[:]) }
func md5Of(b []byte) string    { s := md5.Sum(b); return "md5:" + hex.EncodeToString(s[:]) }

// server serves files by path and records the headers of each request.
func server(t *testing.T, files map[string][]byte) (string, *http.Header) {
	t.Helper()
	var last http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		last = r.Header.Clone()
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &last
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

func TestGet(t *testing.T) {
	t.Parallel()
	app := tarGz(t, true, entry{name: "bin/"}, entry{name: "bin/run.sh", body: "#!/bin/sh\necho hi\n", mode: 0o755},
		entry{name: "README", body: "readme"}, entry{name: "bin/latest", link: "run.sh"})
	plainTar := tarGz(t, false, entry{name: "conf/app.conf", body: "port=80"})
	zipped := zipOf(t, entry{name: "web/index.html", body: "<h1>hi</h1>"})
	base, _ := server(t, map[string][]byte{
		"/app.tar.gz": app, "/conf.tar": plainTar, "/site.zip": zipped,
		"/config.json": []byte(`{"a":1}`), "/tool.tgz": app,
	})
	cases := []struct {
		name     string
		artifact structs.TaskArtifact
		// files maps a path relative to the task dir to its content.
		files map[string]string
		check func(t *testing.T, taskDir string)
	}{
		{
			name: "tar.gz unpacked into local/ with its checksum verified",
			artifact: structs.TaskArtifact{GetterSource: base + "/app.tar.gz", GetterMode: "any", RelativeDest: "local/",
				GetterOptions: map[string]string{"checksum": sha256Of(app)}},
			files: map[string]string{"local/bin/run.sh": "#!/bin/sh\necho hi\n", "local/README": "readme", "local/bin/latest": "#!/bin/sh\necho hi\n"},
			check: func(t *testing.T, taskDir string) {
				fi, err := os.Stat(filepath.Join(taskDir, "local/bin/run.sh"))
				if err != nil || fi.Mode().Perm()&0o100 == 0 {
					t.Fatalf("run.sh lost its executable bit: %v %v", fi, err)
				}
			},
		},
		{
			name:     "plain tar in dir mode",
			artifact: structs.TaskArtifact{GetterSource: base + "/conf.tar", GetterMode: "dir", RelativeDest: "local/etc"},
			files:    map[string]string{"local/etc/conf/app.conf": "port=80"},
		},
		{
			name: "zip with an md5 checksum",
			artifact: structs.TaskArtifact{GetterSource: base + "/site.zip", GetterMode: "any", RelativeDest: "local/site",
				GetterOptions: map[string]string{"checksum": md5Of(zipped)}},
			files: map[string]string{"local/site/web/index.html": "<h1>hi</h1>"},
		},
		{
			name:     "plain file in mode any keeps its name",
			artifact: structs.TaskArtifact{GetterSource: base + "/config.json?v=2", GetterMode: "any", RelativeDest: "local/"},
			files:    map[string]string{"local/config.json": `{"a":1}`},
		},
		{
			name:     "archive in file mode stays packed",
			artifact: structs.TaskArtifact{GetterSource: base + "/tool.tgz", GetterMode: "file", RelativeDest: "local/tool.tgz"},
			files:    map[string]string{"local/tool.tgz": string(app)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			taskDir := t.TempDir()
			if err := New(Config{}).Get(context.Background(), taskDir, &tc.artifact); err != nil {
				t.Fatalf("get: %v", err)
			}
			for rel, want := range tc.files {
				if got := readFile(t, filepath.Join(taskDir, rel)); got != want {
					t.Errorf("%s = %q, want %q", rel, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, taskDir)
			}
			leftovers, _ := filepath.Glob(filepath.Join(taskDir, ".artifact-*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left behind: %v", leftovers)
			}
		})
	}
}

func TestGet_Rejects(t *testing.T) {
	t.Parallel()
	body := []byte("payload")
	files := map[string][]byte{
		"/file":         body,
		"/slip.tar.gz":  tarGz(t, true, entry{name: "../../evil", body: "x"}),
		"/abs.tar":      tarGz(t, false, entry{name: "/etc/evil", body: "x"}),
		"/link.tar.gz":  tarGz(t, true, entry{name: "out", link: "../../../"}, entry{name: "out/evil", body: "x"}),
		"/abslink.tar":  tarGz(t, false, entry{name: "passwd", link: "/etc/passwd"}),
		"/slip.zip":     zipOf(t, entry{name: "../evil", body: "x"}),
		"/ziplink.zip":  zipOf(t, entry{name: "l", link: "../../x"}),
		"/notgzip.tgz":  body,
		"/big":          bytes.Repeat([]byte("a"), 8192),
		"/bomb.tar.gz":  tarGz(t, true, entry{name: "big", body: strings.Repeat("a", 10000)}),
		"/plain-in-dir": body,
	}
	base, _ := server(t, files)
	cases := []struct {
		name     string
		artifact structs.TaskArtifact
		want     string
		sentinel error
	}{
		{"checksum mismatch", structs.TaskArtifact{GetterSource: base + "/file", RelativeDest: "local/",
			GetterOptions: map[string]string{"checksum": sha256Of([]byte("other"))}}, "checksum mismatch: want", ErrChecksumMismatch},
		{"not found", structs.TaskArtifact{GetterSource: base + "/missing", RelativeDest: "local/"}, "server answered 404 Not Found", nil},
		{"zip-slip in tar", structs.TaskArtifact{GetterSource: base + "/slip.tar.gz", RelativeDest: "local/"}, `"../../evil" leaves the destination`, nil},
		{"absolute name in tar", structs.TaskArtifact{GetterSource: base + "/abs.tar", RelativeDest: "local/"}, "has an absolute path", nil},
		{"symlink out of the task dir", structs.TaskArtifact{GetterSource: base + "/link.tar.gz", RelativeDest: "local/"}, "outside the task directory", nil},
		{"absolute symlink", structs.TaskArtifact{GetterSource: base + "/abslink.tar", RelativeDest: "local/"}, `points to the absolute path "/etc/passwd"`, nil},
		{"zip-slip in zip", structs.TaskArtifact{GetterSource: base + "/slip.zip", RelativeDest: "local/"}, `"../evil" leaves the destination`, nil},
		{"zip symlink out", structs.TaskArtifact{GetterSource: base + "/ziplink.zip", RelativeDest: "local/"}, "outside the task directory", nil},
		{"destination with ..", structs.TaskArtifact{GetterSource: base + "/file", RelativeDest: "local/../../x"}, "leaves the task directory", nil},
		{"absolute destination elsewhere", structs.TaskArtifact{GetterSource: base + "/file", GetterMode: "file", RelativeDest: "/tmp/x"}, "outside the task directory", nil},
		{"corrupt gzip", structs.TaskArtifact{GetterSource: base + "/notgzip.tgz", RelativeDest: "local/"}, "not a gzip archive", nil},
		{"too large", structs.TaskArtifact{GetterSource: base + "/big", RelativeDest: "local/"}, "larger than the 4096 byte limit", nil},
		{"unpacks too large", structs.TaskArtifact{GetterSource: base + "/bomb.tar.gz", RelativeDest: "local/"}, "more than the artifact size limit", nil},
		{"dir mode needs an archive", structs.TaskArtifact{GetterSource: base + "/plain-in-dir", GetterMode: "dir", RelativeDest: "local/"}, `mode "dir" needs an archive`, nil},
		{"unsupported scheme", structs.TaskArtifact{GetterSource: "file:///etc/passwd", RelativeDest: "local/"}, `unsupported scheme "file"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			taskDir := filepath.Join(parent, "task")
			if err := os.Mkdir(taskDir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := New(Config{MaxBytes: 4096}).Get(context.Background(), taskDir, &tc.artifact)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v does not wrap %v", err, tc.sentinel)
			}
			// Nothing may have been written beside the task directory.
			outside, _ := os.ReadDir(parent)
			if len(outside) != 1 {
				t.Errorf("files written outside the task dir: %v", outside)
			}
		})
	}
}

func TestGet_AbsoluteDestinationInsideTaskDir(t *testing.T) {
	t.Parallel()
	base, hdr := server(t, map[string][]byte{"/f": []byte("x")})
	taskDir := t.TempDir()
	a := &structs.TaskArtifact{GetterSource: base + "/f", GetterMode: "file",
		RelativeDest: filepath.Join(taskDir, "local", "f"), GetterHeaders: map[string]string{"X-Token": "secret"}}
	if err := New(Config{}).Get(context.Background(), taskDir, a); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "f")); got != "x" {
		t.Fatalf("content = %q", got)
	}
	if got := (*hdr).Get("X-Token"); got != "secret" {
		t.Fatalf("header X-Token = %q, want the artifact's header", got)
	}
}

func TestGet_PlantedSymlinkIsNotFollowed(t *testing.T) {
	t.Parallel()
	base, _ := server(t, map[string][]byte{"/a.tar": tarGz(t, false, entry{name: "sub/file", body: "x"})})
	parent := t.TempDir()
	taskDir := filepath.Join(parent, "task")
	outside := filepath.Join(parent, "outside")
	for _, d := range []string{filepath.Join(taskDir, "local"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(taskDir, "local", "sub")); err != nil {
		t.Fatal(err)
	}
	err := New(Config{}).Get(context.Background(), taskDir, &structs.TaskArtifact{GetterSource: base + "/a.tar", RelativeDest: "local/"})
	if err == nil || !strings.Contains(err.Error(), "symlink that leaves the task directory") {
		t.Fatalf("error = %v, want the planted symlink refused", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote through the symlink: %v", entries)
	}
}

func TestGet_Timeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	start := time.Now()
	err := New(Config{Timeout: 100 * time.Millisecond}).Get(context.Background(), t.TempDir(),
		&structs.TaskArtifact{GetterSource: srv.URL + "/slow", RelativeDest: "local/"})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("timeout of 100ms took %v", took)
	}
}
