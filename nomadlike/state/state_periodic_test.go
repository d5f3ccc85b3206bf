package state

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestPeriodicLaunchRecord checks that registering a periodic child moves
// its parent's last launch, never backwards, that the periodic index
// follows the parent's state, and that a purge forgets the launch.
func TestPeriodicLaunchRecord(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	parent := mock.BatchJob()
	parent.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: []string{"@hourly"}, SpecType: structs.PeriodicSpecCron}
	if err := s.UpsertJob(10, parent); err != nil {
		t.Fatal(err)
	}
	child := func(at time.Time) *structs.Job {
		c := parent.Copy()
		c.ID, c.ParentID, c.Periodic = structs.PeriodicChildID(parent.ID, at), parent.ID, nil
		return c
	}
	t1, t2 := time.Unix(1_800_000_000, 0), time.Unix(1_800_003_600, 0)
	steps := []struct {
		name  string
		write func(index uint64) error
		want  time.Time // zero: no record
	}{
		{"no launch yet", func(uint64) error { return nil }, time.Time{}},
		{"first child", func(i uint64) error { return s.UpsertJob(i, child(t2)) }, t2},
		{"an older child does not move it back", func(i uint64) error { return s.UpsertJob(i, child(t1)) }, t2},
		{"a dispatched child is no launch", func(i uint64) error {
			c := child(t2)
			c.ID = parent.ID + structs.DispatchLaunchSuffix + "1900000000-abcdef01"
			return s.UpsertJob(i, c)
		}, t2},
		{"purge forgets it", func(i uint64) error { return s.DeleteJob(i, parent.Namespace, parent.ID) }, time.Time{}},
	}
	for i, st := range steps {
		if err := st.write(uint64(20 + i)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.PeriodicLaunchByID(nil, parent.Namespace, parent.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case st.want.IsZero() && got != nil:
			t.Fatalf("%s: record %+v, want none", st.name, got)
		case !st.want.IsZero() && (got == nil || !got.Launch.Equal(st.want)):
			t.Fatalf("%s: record %+v, want launch %v", st.name, got, st.want)
		}
	}
}

func TestPeriodicJobsIndex(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	mk := func(id string, change func(j *structs.Job)) *structs.Job {
		j := mock.BatchJob()
		j.ID = id
		j.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: []string{"@hourly"}, SpecType: structs.PeriodicSpecCron}
		change(j)
		return j
	}
	jobs := []*structs.Job{
		mk("active", func(*structs.Job) {}),
		mk("disabled", func(j *structs.Job) { j.Periodic.Enabled = false }),
		mk("stopped", func(j *structs.Job) { j.Stop = true }),
		mk("parameterized", func(j *structs.Job) { j.ParameterizedJob = &structs.ParameterizedJobConfig{} }),
		mk("plain", func(j *structs.Job) { j.Periodic = nil }),
	}
	for i, j := range jobs {
		if err := s.UpsertJob(uint64(10+i), j); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PeriodicJobs(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "active" {
		t.Fatalf("periodic jobs %v, want only active", got)
	}
	if st, _ := s.JobByID(nil, structs.DefaultNamespace, "active"); st.Status != structs.JobStatusRunning {
		t.Fatalf("periodic parent status %q, want running", st.Status)
	}
}
