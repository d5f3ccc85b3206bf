package lb_test

import (
	"testing"

	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// The balancer watches only the services the catalog lists as Published:
// unpublished ones cost it no query, a service that gains a publish
// block is published, and one that loses it is unpublished and no
// longer watched.
func TestManagerWatchesOnlyPublished(t *testing.T) {
	t.Parallel()
	cat := servicewatchtest.New()
	web := newInstance(t, "a")
	cat.Upsert(web.reg(httpRR, structs.HealthPassing))
	plain := func(id, name string, spec *structs.ServicePublish) *structs.ServiceRegistration {
		return &structs.ServiceRegistration{ID: id, ServiceName: name, Namespace: "default", AllocID: id,
			Address: "127.0.0.1", Port: 1, Status: structs.HealthPassing, Publish: spec}
	}
	db, cache := servicewatchtestID("db"), servicewatchtestID("cache")
	cat.Upsert(plain("db-1", "db", nil), plain("cache-1", "cache", nil))
	m := startLB(t, cat)
	published(t, m)
	// Another list change: the manager has read the list at least twice
	// once web's instance count follows it.
	extra := newInstance(t, "b")
	cat.Upsert(extra.reg(httpRR, structs.HealthPassing))
	pollUntil(t, "two web instances in rotation", func() bool { return m.Instances(webID) == 2 })
	if q := cat.QueriesOf(db) + cat.QueriesOf(cache); q != 0 {
		t.Fatalf("%d catalog queries for unpublished services, want none", q)
	}

	dbPub := &structs.ServicePublish{Port: 15432, Mode: structs.PublishModeTCP}
	cat.Upsert(plain("db-2", "db", dbPub))
	pollUntil(t, "db published", func() bool { return m.Addr(db) != "" && cat.Blocked(db) == 1 })

	cat.Delete("db-2")
	pollUntil(t, "db unpublished and unwatched", func() bool { return m.Addr(db) == "" && cat.Blocked(db) == 0 })
	if cat.QueriesOf(cache) != 0 {
		t.Fatalf("cache queried %d times", cat.QueriesOf(cache))
	}
}
