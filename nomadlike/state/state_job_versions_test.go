package state

import (
	"errors"
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func versionNumbers(t *testing.T, s *StateStore, job *structs.Job) []uint64 {
	t.Helper()
	vs, err := s.JobVersionsByID(nil, job.Namespace, job.ID)
	must(t, err)
	out := make([]uint64, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Version)
	}
	return out
}

// bumpCount registers a new version of the job by changing its count.
func bumpCount(t *testing.T, s *StateStore, index uint64, job *structs.Job) {
	t.Helper()
	cur, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	next := cur.Copy()
	next.TaskGroups[0].Count++
	must(t, s.UpsertJob(index, next))
}

func TestJobVersions_KeptAndPruned(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		keep    int
		writes  int      // versions written after v0
		stable  []uint64 // versions marked stable right after being written
		want    []uint64 // kept versions, newest first
		wantErr bool
	}{
		{name: "under the limit", keep: 6, writes: 3, want: []uint64{3, 2, 1, 0}},
		{name: "default limit of 6", keep: 0, writes: 9, want: []uint64{9, 8, 7, 6, 5, 4}},
		{name: "limit 2", keep: 2, writes: 4, want: []uint64{4, 3}},
		{name: "newest stable version survives pruning", keep: 3, writes: 6, stable: []uint64{1},
			want: []uint64{6, 5, 1}},
		{name: "only the newest stable is protected", keep: 3, writes: 6, stable: []uint64{1, 2},
			want: []uint64{6, 5, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			s.SetJobTrackedVersions(tc.keep)
			job := mock.Job()
			must(t, s.UpsertJob(10, job))
			index := uint64(10)
			for v := uint64(1); v <= uint64(tc.writes); v++ {
				index++
				bumpCount(t, s, index, job)
				if slices.Contains(tc.stable, v) {
					index++
					must(t, s.UpdateJobStability(index, job.Namespace, job.ID, v, true))
				}
			}
			if got := versionNumbers(t, s, job); !slices.Equal(got, tc.want) {
				t.Fatalf("kept versions %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJobVersions_ContentStabilityAndDelete(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job := mock.Job()
	must(t, s.UpsertJob(10, job))
	bumpCount(t, s, 11, job)

	v0, err := s.JobByIDAndVersion(nil, job.Namespace, job.ID, 0)
	must(t, err)
	v1, err := s.JobByIDAndVersion(nil, job.Namespace, job.ID, 1)
	must(t, err)
	if v0 == nil || v1 == nil || v0.TaskGroups[0].Count != job.TaskGroups[0].Count || v1.TaskGroups[0].Count != job.TaskGroups[0].Count+1 {
		t.Fatalf("versions do not hold their own specs: v0=%v v1=%v", v0, v1)
	}

	// A write that changes nothing keeps the version and its entry.
	same, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	must(t, s.UpsertJob(12, same.Copy()))
	if got := versionNumbers(t, s, job); !slices.Equal(got, []uint64{1, 0}) {
		t.Fatalf("versions after a no-op write %v, want [1 0]", got)
	}

	t.Run("stability of the current version shows on the job", func(t *testing.T) {
		must(t, s.UpdateJobStability(13, job.Namespace, job.ID, 1, true))
		cur, err := s.JobByID(nil, job.Namespace, job.ID)
		must(t, err)
		v1, err := s.JobByIDAndVersion(nil, job.Namespace, job.ID, 1)
		must(t, err)
		if !cur.Stable || !v1.Stable {
			t.Fatalf("stable: job %v version %v, want both true", cur.Stable, v1.Stable)
		}
	})
	t.Run("stability of an old version leaves the job alone", func(t *testing.T) {
		must(t, s.UpdateJobStability(14, job.Namespace, job.ID, 0, true))
		cur, err := s.JobByID(nil, job.Namespace, job.ID)
		must(t, err)
		if cur.Version != 1 || cur.ModifyIndex != 13 {
			t.Fatalf("job version %d modify %d, want 1 and 13", cur.Version, cur.ModifyIndex)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		err := s.UpdateJobStability(15, job.Namespace, job.ID, 7, true)
		if !errors.Is(err, structs.ErrNotFound) {
			t.Fatalf("error %v, want not found", err)
		}
	})
	t.Run("a prefix of the ID is another job", func(t *testing.T) {
		other := mock.Job()
		other.ID = job.ID + "-x"
		must(t, s.UpsertJob(16, other))
		if got := versionNumbers(t, s, job); !slices.Equal(got, []uint64{1, 0}) {
			t.Fatalf("versions %v, want [1 0]", got)
		}
	})
	t.Run("purge removes the versions", func(t *testing.T) {
		must(t, s.DeleteJob(17, job.Namespace, job.ID))
		if got := versionNumbers(t, s, job); len(got) != 0 {
			t.Fatalf("versions after purge %v, want none", got)
		}
	})
}
