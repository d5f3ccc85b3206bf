package jobspec

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseScaling(t *testing.T) {
	t.Parallel()
	job, err := Parse("web.hcl", []byte(`job "web" {
  group "web" {
    scaling {
      min = 2
      max = 6
      policy {
        evaluation_interval = "5s"
        cooldown            = "30s"
        check "cpu" {
          query = "avg_cpu-allocated"
          strategy "target-value" {
            target = 50
          }
        }
        check "queue" {
          source = "prometheus"
          query  = "sum(queue_depth)"
          strategy "target-value" {
            target = 12.5
          }
        }
        scale_up {
          percent = 100
          period  = "1m"
        }
        scale_down {
          stabilization_window = "2m"
          allocations          = 1
          period               = "30s"
        }
      }
    }
    task "app" {
      driver = "raw_exec"
    }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	tg := job.TaskGroups[0]
	s := tg.Scaling
	if s == nil || *s.Min != 2 || *s.Max != 6 || !*s.Enabled {
		t.Fatalf("scaling %+v, want min 2, max 6, enabled by default", s)
	}
	if *tg.Count != 2 {
		t.Fatalf("count %d, want min (2) as Nomad defaults it", *tg.Count)
	}
	want := map[string]interface{}{
		"evaluation_interval": "5s",
		"cooldown":            "30s",
		"check": map[string]interface{}{
			"cpu": map[string]interface{}{"source": "orch", "query": "avg_cpu-allocated",
				"strategy": map[string]interface{}{"target-value": map[string]interface{}{"target": 50.0}}},
			"queue": map[string]interface{}{"source": "prometheus", "query": "sum(queue_depth)",
				"strategy": map[string]interface{}{"target-value": map[string]interface{}{"target": 12.5}}},
		},
		"scale_up":   map[string]interface{}{"percent": 100, "period": (time.Minute).String()},
		"scale_down": map[string]interface{}{"allocations": 1, "period": "30s", "stabilization_window": "2m0s"},
	}
	if diff := cmp.Diff(want, s.Policy); diff != "" {
		t.Fatalf("policy map (-want +got):\n%s", diff)
	}
}

func TestParseScalingInvalid(t *testing.T) {
	t.Parallel()
	_, err := ParseFile(filepath.Join("testdata", "invalid", "scaling.hcl"))
	if err == nil {
		t.Fatal("invalid scaling block parsed")
	}
	for _, want := range []string{
		`scaling.hcl:3,13-14: Invalid value for "count"; count (5) must not be above scaling max (3)`,
		`scaling.hcl:5,13-14: Invalid value for "min"; min (4) must not be above max (3)`,
		`scaling.hcl:8,31-35: Invalid value for "evaluation_interval"; evaluation_interval must be above 0`,
		`scaling.hcl:10,20-30: Invalid value for "source"; source must be one of orch, prometheus, got "graphite"`,
		`scaling.hcl:13,22-23: Invalid value for "target"; target must be above 0`,
		`scaling.hcl:17,19-31: Invalid value for "query"; the orch source answers avg_cpu-allocated, avg_memory-allocated, avg_rps, got "avg_memory"`,
		`scaling.hcl:18,20-25: Invalid strategy; strategy must be one of target-value, got "pid"`,
		`scaling.hcl:22,9-17: Missing period; scale_up limits the change per period`,
		`scaling.hcl:32,13-13: Missing required argument; The argument "max" is required`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing error %q in:\n%v", want, err)
		}
	}
}
