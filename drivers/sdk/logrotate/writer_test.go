package logrotate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func readIndex(t *testing.T, base string, i int) string {
	t.Helper()
	b, err := os.ReadFile(base + "." + strconv.Itoa(i))
	if err != nil {
		t.Fatalf("read %s.%d: %v", base, i, err)
	}
	return string(b)
}

func exists(base string, i int) bool {
	_, err := os.Stat(base + "." + strconv.Itoa(i))
	return err == nil
}

func TestWriterRotation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		maxFiles int
		maxSize  int64
		writes   []string
		want     map[int]string // index → content; indexes not listed must not exist
		maxIndex int
	}{
		{
			name: "fits in one file", maxFiles: 3, maxSize: 10,
			writes: []string{"abc", "def"}, want: map[int]string{0: "abcdef"}, maxIndex: 3,
		},
		{
			name: "splits a write at the size limit", maxFiles: 3, maxSize: 4,
			writes: []string{"abcdefghij"}, want: map[int]string{0: "abcd", 1: "efgh", 2: "ij"}, maxIndex: 3,
		},
		{
			name: "exact fill rotates only on the next write", maxFiles: 3, maxSize: 3,
			writes: []string{"abc", "d"}, want: map[int]string{0: "abc", 1: "d"}, maxIndex: 3,
		},
		{
			name: "keeps only max files", maxFiles: 2, maxSize: 2,
			writes: []string{"aa", "bb", "cc", "dd", "e"}, want: map[int]string{3: "dd", 4: "e"}, maxIndex: 5,
		},
		{
			name: "single file window", maxFiles: 1, maxSize: 2,
			writes: []string{"aabbc"}, want: map[int]string{2: "c"}, maxIndex: 3,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := filepath.Join(t.TempDir(), "task.stdout")
			w, err := New(base, tc.maxFiles, tc.maxSize)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i <= tc.maxIndex; i++ {
				want, ok := tc.want[i]
				if !ok {
					if exists(base, i) {
						t.Errorf("file %d exists, want it absent", i)
					}
					continue
				}
				if got := readIndex(t, base, i); got != want {
					t.Errorf("file %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestWriterResume(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		existing map[int]string
		maxFiles int
		maxSize  int64
		write    string
		want     map[int]string
		absent   []int
	}{
		{
			name:     "appends to the highest index",
			existing: map[int]string{0: "aaaa", 1: "bb"},
			maxFiles: 5, maxSize: 4, write: "cc",
			want: map[int]string{0: "aaaa", 1: "bbcc"},
		},
		{
			name:     "full newest file rotates on first write",
			existing: map[int]string{1: "bbbb"},
			maxFiles: 5, maxSize: 4, write: "c",
			want: map[int]string{1: "bbbb", 2: "c"},
		},
		{
			name:     "index 10 sorts after 9",
			existing: map[int]string{9: "x", 10: "y"},
			maxFiles: 5, maxSize: 4, write: "z",
			want: map[int]string{9: "x", 10: "yz"},
		},
		{
			name:     "trims files beyond the window on open",
			existing: map[int]string{0: "a", 1: "b", 2: "c", 3: "d"},
			maxFiles: 2, maxSize: 4, write: "e",
			want: map[int]string{2: "c", 3: "de"}, absent: []int{0, 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base := filepath.Join(dir, "task.stderr")
			for i, s := range tc.existing {
				if err := os.WriteFile(base+"."+strconv.Itoa(i), []byte(s), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			// A file of another task with the same prefix must be left alone.
			other := filepath.Join(dir, "task.stderr2.0")
			if err := os.WriteFile(other, []byte("other"), 0o640); err != nil {
				t.Fatal(err)
			}
			w, err := New(base, tc.maxFiles, tc.maxSize)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte(tc.write)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				if got := readIndex(t, base, i); got != want {
					t.Errorf("file %d = %q, want %q", i, got, want)
				}
			}
			for _, i := range tc.absent {
				if exists(base, i) {
					t.Errorf("file %d exists, want it trimmed", i)
				}
			}
			if b, err := os.ReadFile(other); err != nil || !bytes.Equal(b, []byte("other")) {
				t.Errorf("unrelated file changed: %q, %v", b, err)
			}
		})
	}
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name     string
		base     string
		maxFiles int
		maxSize  int64
	}{
		{name: "zero max files", base: filepath.Join(dir, "a"), maxFiles: 0, maxSize: 1},
		{name: "zero max size", base: filepath.Join(dir, "b"), maxFiles: 1, maxSize: 0},
		{name: "missing directory", base: filepath.Join(dir, "nope", "c"), maxFiles: 1, maxSize: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if w, err := New(tc.base, tc.maxFiles, tc.maxSize); err == nil {
				_ = w.Close()
				t.Fatal("New succeeded, want an error")
			}
		})
	}

	t.Run("write after close", func(t *testing.T) {
		t.Parallel()
		w, err := New(filepath.Join(dir, "d"), 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Write after Close = %v, want os.ErrClosed", err)
		}
	})
}
