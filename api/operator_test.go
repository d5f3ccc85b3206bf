package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func testOperator(t *testing.T, h http.HandlerFunc) *Operator {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c.Operator()
}

func TestOperator_RaftGetConfiguration(t *testing.T) {
	op := testOperator(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/operator/raft/configuration" {
			http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if _, ok := r.URL.Query()["stale"]; !ok {
			http.Error(w, "stale not passed", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"Index": 7, "Servers": [{"ID": "a", "Node": "s1", "Address": "127.0.0.1:4647",
			"Leader": true, "Voter": true, "RaftProtocol": "3"}]}`)
	})
	got, err := op.RaftGetConfiguration(&QueryOptions{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	want := RaftServer{ID: "a", Node: "s1", Address: "127.0.0.1:4647", Leader: true, Voter: true, RaftProtocol: "3"}
	if got.Index != 7 || len(got.Servers) != 1 || *got.Servers[0] != want {
		t.Fatalf("configuration %+v", got)
	}
}

func TestOperator_RaftRemovePeer(t *testing.T) {
	var gotQuery string
	op := testOperator(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete || r.URL.Path != "/v1/operator/raft/peer" {
			http.Error(w, "wrong route", http.StatusNotFound)
			return
		}
		gotQuery = r.URL.RawQuery
		if r.URL.Query().Get("id") == "leader" {
			http.Error(w, "is the leader", http.StatusBadRequest)
		}
	})
	cases := []struct {
		name    string
		call    func() error
		query   string
		wantErr string
	}{
		{"by address", func() error { return op.RaftRemovePeerByAddress("10.0.0.1:4647", nil) }, "address=10.0.0.1%3A4647", ""},
		{"by id", func() error { return op.RaftRemovePeerByID("abc", nil) }, "id=abc", ""},
		{"refused", func() error { return op.RaftRemovePeerByID("leader", nil) }, "id=leader", "400 (is the leader)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if gotQuery != tc.query {
				t.Fatalf("query %q, want %q", gotQuery, tc.query)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestOperator_SnapshotDigest(t *testing.T) {
	archive := bytes.Repeat([]byte("archive"), 1000)
	sum := sha256.Sum256(archive)
	good := "sha-256=" + base64.StdEncoding.EncodeToString(sum[:])
	cases := []struct {
		name      string
		digest    string
		body      []byte
		openErr   string
		readErr   error
		wantBytes bool
	}{
		{name: "matching", digest: good, body: archive, wantBytes: true},
		{name: "damaged in transit", digest: good, body: append(bytes.Clone(archive[:100]), 'X'), readErr: ErrSnapshotDigest},
		{name: "no digest", digest: "", body: archive, openErr: "want sha-256"},
		{name: "bad digest", digest: "sha-256=!!", body: archive, openErr: "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := testOperator(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/v1/operator/snapshot" {
					http.Error(w, "wrong route", http.StatusNotFound)
					return
				}
				if tc.digest != "" {
					w.Header().Set("Digest", tc.digest)
				}
				_, _ = w.Write(tc.body)
			})
			rc, err := op.Snapshot(nil)
			if tc.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.openErr) {
					t.Fatalf("open: %v, want %q", err, tc.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if !errors.Is(err, tc.readErr) {
				t.Fatalf("read: %v, want %v", err, tc.readErr)
			}
			if tc.wantBytes && !bytes.Equal(got, archive) {
				t.Fatalf("got %d bytes, want the archive", len(got))
			}
		})
	}
}

func TestOperator_SnapshotRestore(t *testing.T) {
	archive := bytes.Repeat([]byte("archive"), 1000)
	op := testOperator(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/v1/operator/snapshot" {
			http.Error(w, "wrong route", http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !bytes.Equal(body, archive) {
			http.Error(w, "snapshot archive is corrupt", http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Nomad-Index", "99")
	})
	wm, err := op.SnapshotRestore(bytes.NewReader(archive), nil)
	if err != nil || wm.LastIndex != 99 {
		t.Fatalf("restore: %+v, %v, want index 99", wm, err)
	}
	_, err = op.SnapshotRestore(strings.NewReader("junk"), nil)
	var ue *UnexpectedResponseError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusBadRequest || !strings.Contains(ue.Body, "corrupt") {
		t.Fatalf("restore of junk: %v, want the agent's 400", err)
	}
}
