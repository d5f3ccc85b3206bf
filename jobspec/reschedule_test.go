package jobspec

import (
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestParseReschedule(t *testing.T) {
	t.Parallel()
	job, err := Parse("work.hcl", []byte(`job "work" {
  type = "batch"
  reschedule {
    attempts = 3
    interval = "1h"
  }
  group "merged" {
    reschedule {
      delay          = "10s"
      delay_function = "fibonacci"
      max_delay      = "2m"
    }
    task "t" { driver = "raw_exec" }
  }
  group "inherits" {
    task "t" { driver = "raw_exec" }
  }
  group "many" {
    completions = 5
    parallelism = 2
    task "t" { driver = "raw_exec" }
  }
  group "counted" {
    completions = 4
    count       = 3
    task "t" { driver = "raw_exec" }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := job.Reschedule, (&api.ReschedulePolicy{Attempts: num(3), Interval: api.PointerOf(time.Hour)}); !reflect.DeepEqual(got, want) {
		t.Fatalf("job reschedule %+v, want %+v", got, want)
	}
	job.Canonicalize()
	cases := []struct {
		group string
		want  *api.ReschedulePolicy
	}{
		{"merged", &api.ReschedulePolicy{
			Attempts: num(3), Interval: api.PointerOf(time.Hour), Delay: api.PointerOf(10 * time.Second),
			DelayFunction: str("fibonacci"), MaxDelay: api.PointerOf(2 * time.Minute), Unlimited: api.PointerOf(false),
		}},
		{"inherits", &api.ReschedulePolicy{
			Attempts: num(3), Interval: api.PointerOf(time.Hour), Delay: api.PointerOf(5 * time.Second),
			DelayFunction: str("constant"), MaxDelay: api.PointerOf(time.Duration(0)), Unlimited: api.PointerOf(false),
		}},
	}
	for i, c := range cases {
		t.Run(c.group, func(t *testing.T) {
			if got := job.TaskGroups[i].ReschedulePolicy; !reflect.DeepEqual(got, c.want) {
				t.Fatalf("policy %+v, want %+v", got, c.want)
			}
		})
	}
	t.Run("completions", func(t *testing.T) {
		for _, c := range []struct {
			tg                              *api.TaskGroup
			completions, parallelism, count int
		}{{job.TaskGroups[2], 5, 2, 2}, {job.TaskGroups[3], 4, 3, 3}} {
			if *c.tg.Completions != c.completions || *c.tg.Parallelism != c.parallelism || *c.tg.Count != c.count {
				t.Errorf("group %s: completions %d parallelism %d count %d, want %d %d %d", *c.tg.Name,
					*c.tg.Completions, *c.tg.Parallelism, *c.tg.Count, c.completions, c.parallelism, c.count)
			}
		}
	})
}
