package feasible

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestSatisfiesOperators(t *testing.T) {
	node := mock.Node()
	node.Attributes["kernel.version"] = "6.1.0"
	node.Attributes["nomad.version"] = "1.7.2-beta1"
	node.Attributes["cpu.numcores"] = "8"
	node.Attributes["tags"] = "ssd, gpu,fast"
	node.Meta["zone"] = "eu-west-1a"

	cases := []struct {
		name        string
		l, op, r    string
		want        bool
		description string
	}{
		{name: "equal", l: "${attr.kernel.name}", op: "=", r: "linux", want: true},
		{name: "equal double", l: "${attr.kernel.name}", op: "==", r: "windows", want: false},
		{name: "is", l: "${node.datacenter}", op: "is", r: "dc1", want: true},
		{name: "equal missing attribute", l: "${attr.nope}", op: "=", r: "", want: false},
		{name: "not equal", l: "${attr.kernel.name}", op: "!=", r: "windows", want: true},
		{name: "not", l: "${attr.kernel.name}", op: "not", r: "linux", want: false},
		{name: "not equal missing attribute", l: "${attr.nope}", op: "!=", r: "x", want: true},
		{name: "less numeric", l: "${attr.cpu.numcores}", op: "<", r: "10", want: true},
		{name: "less lexical would differ", l: "${attr.cpu.numcores}", op: ">", r: "10", want: false},
		{name: "less or equal", l: "${attr.cpu.numcores}", op: "<=", r: "8", want: true},
		{name: "greater or equal", l: "${attr.cpu.numcores}", op: ">=", r: "9", want: false},
		{name: "greater lexical", l: "${meta.zone}", op: ">", r: "eu-east", want: true},
		{name: "less lexical", l: "${meta.zone}", op: "<", r: "af", want: false},
		{name: "ordered missing attribute", l: "${attr.nope}", op: "<", r: "1", want: false},
		{name: "regexp match", l: "${meta.zone}", op: "regexp", r: "^eu-.*a$", want: true},
		{name: "regexp no match", l: "${meta.zone}", op: "regexp", r: "^us-", want: false},
		{name: "regexp invalid", l: "${meta.zone}", op: "regexp", r: "([", want: false},
		{name: "version range", l: "${attr.kernel.version}", op: "version", r: ">= 5.10, < 7", want: true},
		{name: "version too old", l: "${attr.kernel.version}", op: "version", r: ">= 6.2", want: false},
		{name: "version prerelease excluded", l: "${attr.nomad.version}", op: "version", r: ">= 1.7.0", want: false},
		{name: "version invalid constraint", l: "${attr.kernel.version}", op: "version", r: ">>> 1", want: false},
		{name: "semver prerelease by precedence", l: "${attr.nomad.version}", op: "semver", r: ">= 1.7.0-alpha, < 1.8.0", want: true},
		{name: "semver below", l: "${attr.nomad.version}", op: "semver", r: ">= 1.7.2", want: false},
		{name: "semver not semver", l: "${attr.kernel.name}", op: "semver", r: ">= 1.0.0", want: false},
		{name: "set_contains", l: "${attr.tags}", op: "set_contains", r: "gpu,ssd", want: true},
		{name: "set_contains_all missing one", l: "${attr.tags}", op: "set_contains_all", r: "gpu,nvme", want: false},
		{name: "set_contains_any", l: "${attr.tags}", op: "set_contains_any", r: "nvme, fast", want: true},
		{name: "set_contains_any none", l: "${attr.tags}", op: "set_contains_any", r: "nvme,hdd", want: false},
		{name: "set_contains_any single value", l: "${meta.zone}", op: "set_contains_any", r: "us-east-1a, eu-west-1a", want: true},
		{name: "set_contains single value missing", l: "${meta.zone}", op: "set_contains", r: "eu-west-1a,eu-west-1b", want: false},
		{name: "is_set", l: "${meta.zone}", op: "is_set", want: true},
		{name: "is_set missing", l: "${meta.nope}", op: "is_set", want: false},
		{name: "is_not_set", l: "${meta.nope}", op: "is_not_set", want: true},
		{name: "is_not_set present", l: "${attr.kernel.name}", op: "is_not_set", want: false},
		{name: "node id", l: "${node.unique.id}", op: "=", r: node.ID, want: true},
		{name: "node name", l: "${node.unique.name}", op: "=", r: node.Name, want: true},
		{name: "node class", l: "${node.class}", op: "=", r: "linux-medium", want: true},
		{name: "node pool", l: "${node.pool}", op: "=", r: "default", want: true},
		{name: "node region is the job's", l: "${node.region}", op: "=", r: "eu-west", want: true},
		{name: "node region other", l: "${node.region}", op: "!=", r: "eu-west", want: false},
		{name: "node region on the right", l: "eu-west", op: "=", r: "${node.region}", want: true},
		{name: "unknown interpolation", l: "${env.HOME}", op: "is_set", want: false},
		{name: "both literal", l: "a", op: "<", r: "b", want: true},
		{name: "unknown operator", l: "${attr.kernel.name}", op: "~=", r: "linux", want: false},
		{name: "distinct_hosts is not a node property", l: "", op: "distinct_hosts", r: "true", want: true},
		{name: "distinct_property is not a node property", l: "${meta.nope}", op: "distinct_property", r: "1", want: true},
	}
	job := mock.Job()
	job.Region = "eu-west"
	ctx := newTestContext(t, job, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &structs.Constraint{LTarget: tc.l, Operand: tc.op, RTarget: tc.r}
			if got := ctx.Satisfies(c, node); got != tc.want {
				t.Fatalf("%s: got %v, want %v", ConstraintReason(c), got, tc.want)
			}
		})
	}
}

func TestConstraintCachesOperands(t *testing.T) {
	ctx := newTestContext(t, mock.Job(), nil)
	node := mock.Node()
	c := &structs.Constraint{LTarget: "${attr.kernel.name}", Operand: "regexp", RTarget: "^lin"}
	for range 3 {
		if !ctx.Satisfies(c, node) {
			t.Fatal("regexp should match")
		}
	}
	if len(ctx.regexps) != 1 {
		t.Fatalf("compiled %d regexps, want 1 cached", len(ctx.regexps))
	}
}

func TestConstraintCheckerReason(t *testing.T) {
	ctx := newTestContext(t, mock.Job(), nil)
	cc := NewConstraintChecker(ctx, []*structs.Constraint{
		{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"},
		{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"},
	})
	ok, reason := cc.Feasible(mock.Node())
	if ok || reason != "${attr.kernel.name} = windows" {
		t.Fatalf("got (%v, %q), want rejection naming the windows constraint", ok, reason)
	}
}
