package state

import (
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func reg(id, name, alloc, node string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", AllocID: alloc,
		NodeID: node, Address: "10.0.0.1", Port: 8080, Status: structs.HealthPassing, Tags: []string{"v1"}}
}

func ids(regs []*structs.ServiceRegistration) []string {
	out := make([]string, 0, len(regs))
	for _, r := range regs {
		out = append(out, r.ID)
	}
	return out
}

func TestServiceRegistrations_UpsertAndDelete(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	must(t, s.UpsertServiceRegistrations(10, []*structs.ServiceRegistration{
		reg("a", "web", "alloc1", "node1"), reg("b", "web", "alloc2", "node2"), reg("c", "db", "alloc1", "node1"),
	}))
	steps := []struct {
		name      string
		write     func() error
		wantWeb   []string
		wantIndex uint64
	}{
		{"initial", func() error { return nil }, []string{"a", "b"}, 10},
		{"unchanged upsert is a no-op", func() error {
			return s.UpsertServiceRegistrations(11, []*structs.ServiceRegistration{reg("a", "web", "alloc1", "node1")})
		}, []string{"a", "b"}, 10},
		{"status change", func() error {
			r := reg("a", "web", "alloc1", "node1")
			r.Status = structs.HealthCritical
			return s.UpsertServiceRegistrations(12, []*structs.ServiceRegistration{r})
		}, []string{"a", "b"}, 12},
		{"delete by id", func() error { return s.DeleteServiceRegistrationByID(13, "b") }, []string{"a"}, 13},
		{"delete missing id", func() error { return s.DeleteServiceRegistrationByID(14, "nope") }, []string{"a"}, 13},
		{"delete by alloc", func() error { return s.DeleteServiceRegistrationsByAlloc(15, "alloc1") }, nil, 15},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			must(t, st.write())
			web, err := s.ServiceRegistrationsByName(nil, "default", "web")
			must(t, err)
			if got := ids(web); len(got) != len(st.wantWeb) || (len(got) > 0 && got[0] != st.wantWeb[0]) {
				t.Errorf("web instances %v, want %v", got, st.wantWeb)
			}
			if idx, _ := s.Index(TableServiceRegistrations); idx != st.wantIndex {
				t.Errorf("table index %d, want %d", idx, st.wantIndex)
			}
		})
	}
	a, err := s.ServiceRegistrationByID(nil, "a")
	must(t, err)
	if a != nil {
		t.Errorf("instance of a deleted alloc still there: %+v", a)
	}
}

func TestServiceRegistrations_KeepCreateIndexAndByNode(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	must(t, s.UpsertServiceRegistrations(5, []*structs.ServiceRegistration{reg("a", "web", "x", "n1"), reg("b", "web", "y", "n2")}))
	r := reg("a", "web", "x", "n1")
	r.Port = 9090
	must(t, s.UpsertServiceRegistrations(6, []*structs.ServiceRegistration{r}))
	got, err := s.ServiceRegistrationByID(nil, "a")
	must(t, err)
	if got.CreateIndex != 5 || got.ModifyIndex != 6 || got.Port != 9090 {
		t.Errorf("got create %d modify %d port %d, want 5, 6, 9090", got.CreateIndex, got.ModifyIndex, got.Port)
	}
	must(t, s.DeleteServiceRegistrationsByNode(7, "n1"))
	all, err := s.ServiceRegistrations(nil)
	must(t, err)
	if got := ids(all); len(got) != 1 || got[0] != "b" {
		t.Errorf("after node delete: %v, want [b]", got)
	}
	if err := s.UpsertServiceRegistrations(8, []*structs.ServiceRegistration{{ServiceName: "x"}}); err == nil {
		t.Error("registration without ID accepted")
	}
}

// A watcher of one service wakes when an instance is deleted.
func TestServiceRegistrations_WatchWakesOnDelete(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	must(t, s.UpsertServiceRegistrations(5, []*structs.ServiceRegistration{reg("a", "web", "x", "n1")}))
	ws := memdb.NewWatchSet()
	if _, err := s.ServiceRegistrationsByName(ws, "default", "web"); err != nil {
		t.Fatal(err)
	}
	must(t, s.DeleteServiceRegistrationByID(6, "a"))
	if timedOut := ws.Watch(time.After(5 * time.Second)); timedOut {
		t.Fatal("watch did not fire on delete")
	}
}
