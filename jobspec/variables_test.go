package jobspec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const varsJob = `variable "name" {
  type = string
}

variable "count" {
  type    = number
  default = 1
}

variable "enabled" {
  type    = bool
  default = true
}

variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}

job "j" {
  datacenters = var.dcs
  meta {
    enabled = var.enabled
    name    = var.name
  }
  group "g" {
    count = var.count
    task "t" {
      driver = "raw_exec"
    }
  }
}
`

func TestVariableValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		return path
	}
	first := writeFile("first.vars.hcl", "name = \"from-file\"\ncount = 4\n")
	second := writeFile("second.vars.hcl", "count = 6\n")

	type result struct {
		name    string
		count   int
		enabled string
		dcs     []string
	}
	cases := []struct {
		name        string
		argVars     []string
		varFiles    []string
		varContents []VarFileContent
		want        result
	}{
		{
			name:    "defaults and a -var",
			argVars: []string{"name=web"},
			want:    result{"web", 1, "true", []string{"dc1"}},
		},
		{
			name:    "-var of every type",
			argVars: []string{"name=a=b", "count=3", "enabled=false", `dcs=["x", "y"]`},
			want:    result{"a=b", 3, "false", []string{"x", "y"}},
		},
		{
			name:     "later var files win, -var wins over files",
			varFiles: []string{first, second},
			argVars:  []string{"count=9"},
			want:     result{"from-file", 9, "true", []string{"dc1"}},
		},
		{
			name:     "later var file wins over earlier",
			varFiles: []string{first, second},
			want:     result{"from-file", 6, "true", []string{"dc1"}},
		},
		{
			name:        "var contents after var files, before -var",
			varFiles:    []string{first},
			varContents: []VarFileContent{{Name: "a.hcl", Body: []byte("count = 7\nenabled = false\n")}, {Name: "b.hcl", Body: []byte("count = 8\n")}},
			argVars:     []string{"name=arg"},
			want:        result{"arg", 8, "false", []string{"dc1"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job, err := ParseWithConfig(&ParseConfig{
				Path: "vars.hcl", Body: []byte(varsJob), ArgVars: tc.argVars, VarFiles: tc.varFiles, VarContents: tc.varContents,
			})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := result{
				name:    job.Meta["name"],
				count:   *job.TaskGroups[0].Count,
				enabled: job.Meta["enabled"],
				dcs:     job.Datacenters,
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknownInFile := filepath.Join(dir, "bad.vars.hcl")
	if err := os.WriteFile(unknownInFile, []byte("name = \"x\"\nreplicas = 2\n"), 0o600); err != nil {
		t.Fatalf("write: %v", err)
	}
	cases := []struct {
		name     string
		src      string
		argVars  []string
		varFiles []string
		want     []string
	}{
		{
			name: "unset variable",
			src:  varsJob,
			want: []string{`vars.hcl:1,1-16: Unset variable; variable "name" has no default and no value was given`},
		},
		{
			name:    "-var without equals",
			src:     varsJob,
			argVars: []string{"name"},
			want: []string{
				`Invalid -var argument; "name" must have the form name=value`,
				`vars.hcl:1,1-16: Unset variable; variable "name" has no default`,
			},
		},
		{
			name:    "-var for an undeclared variable",
			src:     varsJob,
			argVars: []string{"name=a", "replicas=3"},
			want:    []string{`Undefined variable; -var sets "replicas" but the job file declares no variable "replicas"`},
		},
		{
			name:    "-var of the wrong type",
			src:     varsJob,
			argVars: []string{"name=a", "count=many"},
			want:    []string{`<value for var.count>:1,1-1: Invalid value for variable; the value for variable "count" must be number`},
		},
		{
			name:     "var file naming an undeclared variable",
			src:      varsJob,
			varFiles: []string{unknownInFile},
			want:     []string{unknownInFile + `:2,1-9: Undefined variable; a value is given for "replicas"`},
		},
		{
			name: "default of the wrong type",
			src:  "variable \"n\" {\n  type = number\n  default = \"x\"\n}\njob \"j\" {\n  group \"g\" {\n    count = var.n\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
			want: []string{`vars.hcl:3,13-16: Invalid value for variable; the value for variable "n" must be number`},
		},
		{
			name:    "duplicate variable",
			argVars: []string{"name=x"},
			src:     "variable \"a\" {\n  default = 1\n}\nvariable \"a\" {\n  default = 2\n}\n" + varsJob,
			want:    []string{`vars.hcl:4,10-13: Duplicate variable; variable "a" is already declared at vars.hcl:1,1-13`},
		},
		{
			name: "cyclic locals",
			src:  "locals {\n  a = local.b\n  b = local.a\n}\njob \"j\" {\n  meta { x = local.a }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}",
			want: []string{
				`vars.hcl:2,3-4: Cyclic local value; local "a" depends on itself`,
				`vars.hcl:3,3-4: Cyclic local value; local "b" depends on itself`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseWithConfig(&ParseConfig{
				Path: "vars.hcl", Body: []byte(tc.src), ArgVars: tc.argVars, VarFiles: tc.varFiles,
			})
			if err == nil {
				t.Fatalf("parse succeeded, want errors %q", tc.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(lines), len(tc.want), err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("missing %q in:\n%s", want, err)
				}
			}
		})
	}
}

func TestLocalsUseVariablesAndEachOther(t *testing.T) {
	t.Parallel()
	src := `variable "env" {
  default = "prod"
}
locals {
  id   = "${local.base}-${var.env}"
  base = "api"
  node = "${node.unique.name}"
}
job "j" {
  meta {
    id   = local.id
    node = local.node
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
    }
  }
}
`
	job, err := Parse("locals.hcl", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := map[string]string{"id": "api-prod", "node": "${node.unique.name}"}
	if !reflect.DeepEqual(job.Meta, want) {
		t.Fatalf("meta = %v, want %v", job.Meta, want)
	}
}
