package servicewatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func reg(id, name, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", AllocID: id, Address: "127.0.0.1", Port: 80, Status: status}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatcher(t *testing.T) {
	t.Parallel()
	web := servicewatch.ServiceID{Namespace: "default", Name: "web"}
	t.Run("cached reads cost no query and follow changes", func(t *testing.T) {
		cat := servicewatchtest.New()
		cat.Upsert(reg("a", "web", structs.HealthPassing))
		w := servicewatch.New(servicewatch.Config{Catalog: cat})
		defer w.Stop()
		ctx := context.Background()
		insts, err := w.Instances(ctx, web)
		if err != nil || len(insts) != 1 {
			t.Fatalf("first lookup: %v %v", insts, err)
		}
		before := cat.Queries()
		for i := 0; i < 100; i++ {
			if _, err := w.Instances(ctx, web); err != nil {
				t.Fatal(err)
			}
		}
		// The watch goroutine may have made at most its one blocking query.
		if got := cat.Queries() - before; got > 1 {
			t.Fatalf("100 cached reads made %d catalog queries", got)
		}
		cat.Upsert(reg("b", "web", structs.HealthPassing))
		waitFor(t, "second instance", func() bool {
			insts, _ := w.Instances(ctx, web)
			return len(insts) == 2
		})
		cat.SetStatus("a", structs.HealthCritical)
		waitFor(t, "one passing", func() bool {
			insts, _ := w.Instances(ctx, web)
			return len(servicewatch.Passing(insts)) == 1
		})
	})
	t.Run("bounded, least recently read evicted, pinned kept", func(t *testing.T) {
		cat := servicewatchtest.New()
		w := servicewatch.New(servicewatch.Config{Catalog: cat, MaxServices: 3})
		defer w.Stop()
		ctx := context.Background()
		pinned := servicewatch.ServiceID{Namespace: "default", Name: "pinned"}
		if _, err := w.Pin(ctx, pinned); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if _, err := w.Instances(ctx, servicewatch.ServiceID{Namespace: "default", Name: fmt.Sprint("s", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if w.Len() != 3 {
			t.Fatalf("cache holds %d services, want 3", w.Len())
		}
		cached := w.Cached()
		for _, id := range []servicewatch.ServiceID{pinned, {Namespace: "default", Name: "s9"}, {Namespace: "default", Name: "s8"}} {
			if _, ok := cached[id]; !ok {
				t.Errorf("%v evicted; cache %v", id, cached)
			}
		}
	})
	t.Run("Drop ends the blocking query and forgets the service", func(t *testing.T) {
		cat := servicewatchtest.New()
		cat.Upsert(reg("a", "web", structs.HealthPassing))
		w := servicewatch.New(servicewatch.Config{Catalog: cat})
		defer w.Stop()
		if _, err := w.Pin(context.Background(), web); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the watch's blocking query", func() bool { return cat.Blocked(web) == 1 })
		w.Drop(web)
		waitFor(t, "no query left", func() bool { return cat.Blocked(web) == 0 })
		if w.Len() != 0 {
			t.Fatalf("%d services cached after Drop", w.Len())
		}
		before := cat.QueriesOf(web)
		insts, err := w.Instances(context.Background(), web)
		if err != nil || len(insts) != 1 || cat.QueriesOf(web) == before {
			t.Fatalf("read after Drop: %v %v, queries %d -> %d; want a fresh fetch", insts, err, before, cat.QueriesOf(web))
		}
	})
	t.Run("OnChange fires on a change", func(t *testing.T) {
		cat := servicewatchtest.New()
		changed := make(chan servicewatch.ServiceID, 10)
		w := servicewatch.New(servicewatch.Config{Catalog: cat, OnChange: func(id servicewatch.ServiceID) { changed <- id }})
		defer w.Stop()
		if _, err := w.Instances(context.Background(), web); err != nil {
			t.Fatal(err)
		}
		cat.Upsert(reg("a", "web", structs.HealthPassing))
		select {
		case id := <-changed:
			if id != web {
				t.Fatalf("OnChange(%v), want %v", id, web)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no OnChange")
		}
	})
}
