package jobspec

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestAffinityAndSpreadParse(t *testing.T) {
	t.Parallel()
	src := `job "j" {
  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = -40
  }
  spread {
    attribute = "${meta.rack}"
  }
  group "g" {
    affinity {
      attribute = "${meta.ssd}"
      operator  = "is_set"
    }
    spread {
      attribute = "${node.datacenter}"
      weight    = 80
      target "dc1" {
        percent = 70
      }
      target "dc2" {
        percent = 30
      }
    }
    task "t" {
      driver = "raw_exec"
      affinity {
        attribute = "${attr.cpu.arch}"
        operator  = "regexp"
        value     = "amd64"
        weight    = 100
      }
    }
  }
}`
	job, err := Parse("a.hcl", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	w := func(n int8) *int8 { return &n }
	checks := []struct {
		name      string
		got, want any
	}{
		{"job affinities", job.Affinities, []*api.Affinity{{LTarget: "${node.datacenter}", RTarget: "dc1", Operand: "=", Weight: w(-40)}}},
		{"job spreads", job.Spreads, []*api.Spread{{Attribute: "${meta.rack}"}}},
		{"group affinities", job.TaskGroups[0].Affinities, []*api.Affinity{{LTarget: "${meta.ssd}", Operand: "is_set"}}},
		{"group spreads", job.TaskGroups[0].Spreads, []*api.Spread{{Attribute: "${node.datacenter}", Weight: w(80),
			SpreadTarget: []*api.SpreadTarget{{Value: "dc1", Percent: 70}, {Value: "dc2", Percent: 30}}}}},
		{"task affinities", job.TaskGroups[0].Tasks[0].Affinities, []*api.Affinity{{LTarget: "${attr.cpu.arch}", RTarget: "amd64", Operand: "regexp", Weight: w(100)}}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("got %s, want %s", jsonOf(t, c.got), jsonOf(t, c.want))
			}
		})
	}
}

func TestAffinityAndSpreadErrors(t *testing.T) {
	t.Parallel()
	wrap := func(jobBody string) string {
		return "job \"j\" {\n" + jobBody + "\n  group \"g\" {\n    task \"t\" { driver = \"raw_exec\" }\n  }\n}"
	}
	cases := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "affinity weight above 100",
			src:  wrap("  affinity {\n    attribute = \"${meta.rack}\"\n    value = \"r1\"\n    weight = 101\n  }"),
			want: `s.hcl:5,14-17: Invalid value for "weight"; weight must be a non-zero whole number from -100 to 100, got 101`,
		},
		{
			name: "affinity weight zero",
			src:  wrap("  affinity {\n    attribute = \"${meta.rack}\"\n    value = \"r1\"\n    weight = 0\n  }"),
			want: `s.hcl:5,14-15: Invalid value for "weight"; weight must be a non-zero whole number from -100 to 100, got 0`,
		},
		{
			name: "affinity without attribute",
			src:  wrap("  affinity {\n    value = \"r1\"\n  }"),
			want: `s.hcl:2,3-11: Missing affinity attribute`,
		},
		{
			name: "affinity with a plan operator",
			src:  wrap("  affinity {\n    attribute = \"${meta.rack}\"\n    operator = \"distinct_hosts\"\n  }"),
			want: `s.hcl:4,16-32: Invalid affinity operator; operator "distinct_hosts" is not known`,
		},
		{
			name: "affinity with a bad regexp",
			src:  wrap("  affinity {\n    attribute = \"${meta.rack}\"\n    operator = \"regexp\"\n    value = \"r(\"\n  }"),
			want: `s.hcl:5,13-17: Invalid constraint value; the regular expression does not compile`,
		},
		{
			name: "spread targets over 100",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n    target \"r1\" {\n      percent = 60\n    }\n    target \"r2\" {\n      percent = 50\n    }\n  }"),
			want: `s.hcl:8,17-19: Invalid value for "percent"; the targets of spread "${meta.rack}" sum to 110% with this one; they may sum to at most 100%`,
		},
		{
			name: "spread target percent out of range",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n    target \"r1\" {\n      percent = 101\n    }\n  }"),
			want: `s.hcl:5,17-20: Invalid value for "percent"; percent must be a whole number from 0 to 100, got 101`,
		},
		{
			name: "spread target without percent",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n    target \"r1\" {}\n  }"),
			want: `s.hcl:4,5-16: Missing spread target percent`,
		},
		{
			name: "spread weight zero",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n    weight = 0\n  }"),
			want: `s.hcl:4,14-15: Invalid value for "weight"; weight must be a whole number from 1 to 100, got 0`,
		},
		{
			name: "duplicate spread target",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n    target \"r1\" {\n      percent = 10\n    }\n    target \"r1\" {\n      percent = 10\n    }\n  }"),
			want: `s.hcl:7,12-16: Duplicate spread target; target "r1" is already given at s.hcl:4,5-16`,
		},
		{
			name: "spread twice over one attribute",
			src:  wrap("  spread {\n    attribute = \"${meta.rack}\"\n  }\n  spread {\n    attribute = \"${meta.rack}\"\n  }"),
			want: `s.hcl:5,3-9: Duplicate spread; attribute "${meta.rack}" is already spread over at s.hcl:2,3-9`,
		},
		{
			name: "spread in a task",
			src:  "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      spread {\n        attribute = \"${meta.rack}\"\n      }\n    }\n  }\n}",
			want: `s.hcl:5,7-13: Unsupported block type`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("s.hcl", []byte(tc.src))
			if err == nil {
				t.Fatalf("parse succeeded, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
