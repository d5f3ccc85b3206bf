package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func testArchive(t *testing.T, state []byte) ([]byte, *Meta) {
	t.Helper()
	rm := &raft.SnapshotMeta{
		Version: 1, ID: "3-42-1700000000000", Index: 42, Term: 3, Size: int64(len(state)),
		Configuration: raft.Configuration{Servers: []raft.Server{
			{Suffrage: raft.Voter, ID: "a", Address: "127.0.0.1:4647"},
		}},
		ConfigurationIndex: 1,
	}
	meta := FromRaft(rm, time.Unix(1700000000, 0))
	var buf bytes.Buffer
	if err := Write(&buf, meta, bytes.NewReader(state)); err != nil {
		t.Fatalf("write archive: %v", err)
	}
	return buf.Bytes(), meta
}

func TestArchive_RoundTrip(t *testing.T) {
	state := bytes.Repeat([]byte("orch state "), 1000)
	archive, want := testArchive(t, state)

	var got bytes.Buffer
	meta, err := Read(bytes.NewReader(archive), &got)
	if err != nil {
		t.Fatalf("read archive: %v", err)
	}
	if !bytes.Equal(got.Bytes(), state) {
		t.Fatalf("state differs after a round trip: %d bytes, want %d", got.Len(), len(state))
	}
	if meta.ID != want.ID || meta.Index != 42 || meta.Term != 3 || meta.Size != int64(len(state)) ||
		len(meta.Configuration) != 1 || meta.Configuration[0].Suffrage != "Voter" || !meta.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("meta %+v, want %+v", meta, want)
	}
	rm := meta.RaftMeta()
	if rm.Index != 42 || rm.Term != 3 || rm.Size != int64(len(state)) || rm.Version != 1 {
		t.Fatalf("raft meta %+v", rm)
	}
}

func TestWrite_ShortState(t *testing.T) {
	meta := &Meta{FormatVersion: FormatVersion, Size: 100}
	err := Write(io.Discard, meta, strings.NewReader("only a few bytes"))
	if err == nil || !strings.Contains(err.Error(), "got 16 bytes") {
		t.Fatalf("write with short state: %v, want a size error", err)
	}
}

// rebuild writes a gzip'd tar of the given members, for archives Write
// would never produce.
func rebuild(t *testing.T, members ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o600, Size: int64(len(m[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(m[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// members unpacks an archive Write produced.
func members(t *testing.T, archive []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(b)
	}
}

func TestRead_Corrupt(t *testing.T) {
	state := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 512)
	good, _ := testArchive(t, state)
	m := members(t, good)
	flipped := []byte(m[stateName])
	flipped[100] ^= 0xff

	cases := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"empty file", nil, "not a gzip stream"},
		{"not gzip", []byte("job \"web\" {}"), "not a gzip stream"},
		{"truncated", good[:len(good)/2], ""},
		{"last byte cut", good[:len(good)-1], ""},
		{"state tampered", rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, string(flipped)},
			[2]string{sumsName, m[sumsName]}), "checksum mismatch for state.bin"},
		{"meta tampered", rebuild(t, [2]string{metaName, strings.Replace(m[metaName], `"Term": 3`, `"Term": 4`, 1)},
			[2]string{stateName, m[stateName]}, [2]string{sumsName, m[sumsName]}), "checksum mismatch for meta.json"},
		{"sums missing", rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, m[stateName]}), "SHA256SUMS is missing"},
		{"state missing", rebuild(t, [2]string{metaName, m[metaName]}), "state.bin is missing"},
		{"wrong order", rebuild(t, [2]string{stateName, m[stateName]}, [2]string{metaName, m[metaName]}), `found "state.bin"`},
		{"state shorter than meta says", rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, m[stateName][:10]},
			[2]string{sumsName, m[sumsName]}), "meta.json says 4096"},
		{"extra member", rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, m[stateName]},
			[2]string{sumsName, m[sumsName]}, [2]string{"evil", "x"}), "unexpected member"},
		{"sums line malformed", rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, m[stateName]},
			[2]string{sumsName, "garbage"}), "malformed line"},
		{"meta not json", rebuild(t, [2]string{metaName, "{"}), "meta.json"},
		{"future format", rebuild(t, [2]string{metaName, `{"FormatVersion": 9}`}), "archive format 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(bytes.NewReader(tc.archive))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("verify: %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify: %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestRead_MetaKeptWhenChecksumFails(t *testing.T) {
	good, _ := testArchive(t, []byte("some state"))
	m := members(t, good)
	bad := rebuild(t, [2]string{metaName, m[metaName]}, [2]string{stateName, "SOME STATE"}, [2]string{sumsName, m[sumsName]})
	meta, err := Verify(bytes.NewReader(bad))
	if !errors.Is(err, ErrCorrupt) || meta == nil || meta.Index != 42 {
		t.Fatalf("verify = %+v, %v: want the meta and ErrCorrupt", meta, err)
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestRead_WriterErrorIsNotCorruption(t *testing.T) {
	good, _ := testArchive(t, []byte("some state"))
	_, err := Read(bytes.NewReader(good), failingWriter{})
	if err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("read into a failing writer: %v, want the writer's error, not ErrCorrupt", err)
	}
}
