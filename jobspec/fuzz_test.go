package jobspec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser, seeded with every job
// file in the repository. Whatever the input, Parse must return either a
// job or an error that says something, and never panic.
func FuzzParse(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/*.hcl", "testdata/invalid/*.hcl", "../examples/*.hcl"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatalf("glob %s: %v", pattern, err)
		}
		seeds = append(seeds, matches...)
	}
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatalf("read seed %s: %v", path, err)
		}
		f.Add(src)
	}
	f.Add([]byte(`job "x" { group "g" { task "t" { driver = "d" } } }`))
	f.Add([]byte("locals {\n  a = \"${NOMAD_ALLOC_ID}%{ for x in [1] }${x}%{ endfor }\"\n}\n"))

	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := Parse("fuzz.hcl", src)
		switch {
		case err != nil && err.Error() == "":
			t.Fatalf("error with an empty message for %q", src)
		case err == nil && (job == nil || job.ID == nil):
			t.Fatalf("no error but no job ID for %q", src)
		}
	})
}
