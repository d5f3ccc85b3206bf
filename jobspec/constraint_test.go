package jobspec

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestConstraintForms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want []*api.Constraint
	}{
		{
			name: "default operator is =",
			body: "attribute = \"${attr.kernel.name}\"\nvalue = \"linux\"",
			want: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		},
		{
			name: "explicit operator",
			body: "attribute = \"${meta.cores}\"\noperator = \">=\"\nvalue = \"4\"",
			want: []*api.Constraint{{LTarget: "${meta.cores}", RTarget: "4", Operand: ">="}},
		},
		{
			name: "distinct_hosts shorthand",
			body: "distinct_hosts = true",
			want: []*api.Constraint{{Operand: "distinct_hosts"}},
		},
		{
			name: "distinct_hosts false asks for nothing",
			body: "distinct_hosts = false",
			want: nil,
		},
		{
			name: "distinct_hosts as operator",
			body: "operator = \"distinct_hosts\"\nvalue = \"true\"",
			want: []*api.Constraint{{RTarget: "true", Operand: "distinct_hosts"}},
		},
		{
			name: "distinct_property shorthand",
			body: "distinct_property = \"${meta.rack}\"",
			want: []*api.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}},
		},
		{
			name: "regexp shorthand",
			body: "attribute = \"${attr.os.name}\"\nregexp = \"^ubuntu\"",
			want: []*api.Constraint{{LTarget: "${attr.os.name}", RTarget: "^ubuntu", Operand: "regexp"}},
		},
		{
			name: "version shorthand",
			body: "attribute = \"${attr.driver.raw_exec.version}\"\nversion = \">= 1.0, < 2\"",
			want: []*api.Constraint{{LTarget: "${attr.driver.raw_exec.version}", RTarget: ">= 1.0, < 2", Operand: "version"}},
		},
		{
			name: "semver shorthand",
			body: "attribute = \"${attr.nomad.version}\"\nsemver = \">= 1.5.0\"",
			want: []*api.Constraint{{LTarget: "${attr.nomad.version}", RTarget: ">= 1.5.0", Operand: "semver"}},
		},
		{
			name: "set_contains shorthands",
			body: "attribute = \"${meta.tags}\"\nset_contains_any = \"a,b\"",
			want: []*api.Constraint{{LTarget: "${meta.tags}", RTarget: "a,b", Operand: "set_contains_any"}},
		},
		{
			name: "is_set shorthand",
			body: "is_set = \"${meta.gpu}\"",
			want: []*api.Constraint{{LTarget: "${meta.gpu}", Operand: "is_set"}},
		},
		{
			name: "is_not_set operator",
			body: "attribute = \"${meta.gpu}\"\noperator = \"is_not_set\"",
			want: []*api.Constraint{{LTarget: "${meta.gpu}", Operand: "is_not_set"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "job \"j\" {\n  constraint {\n" + tc.body + "\n  }\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}"
			job, err := Parse("c.hcl", []byte(src))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(job.Constraints, tc.want) {
				t.Fatalf("constraints = %s, want %s", jsonOf(t, job.Constraints), jsonOf(t, tc.want))
			}
		})
	}
}
