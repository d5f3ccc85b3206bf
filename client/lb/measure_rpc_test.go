package lb_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/pool"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// tcpRPC makes RPCs to one server over its RPC port, as a client agent
// outside -dev does.
type tcpRPC struct {
	pool *pool.ConnPool
	srv  *nomadlike.Server
}

func (c tcpRPC) RPC(method string, args, reply interface{}) error {
	return c.pool.RPC(c.srv.RPCAddr(), method, args, reply)
}

// BenchmarkCatalogChangeToLB measures, through the real path, how long a
// registration change takes to reach the load balancer: one iteration
// sends the client's ServiceRegistration.Upsert RPC turning one of three
// published instances critical (or, on odd iterations, passing again) and
// waits until the balancer's pool no longer holds it (holds it again), so
// the balancer can no longer choose it. In between: the Raft write on an
// in-process dev server (in-memory Raft), the blocking
// ServiceRegistration.GetService query of servicewatch.RPCCatalog waking,
// the watcher and the lb manager's reconcile. "in-process" is the -dev
// agent's path, "tcp" a client's over the RPC port. It reports p50 and p99
// in microseconds and asserts nothing about speed:
//
//	go test -run '^$' -bench BenchmarkCatalogChangeToLB -benchtime 200x ./client/lb/
func BenchmarkCatalogChangeToLB(b *testing.B) {
	s := nomadtest.TestServer(b, func(c *nomadlike.Config) {
		c.NumSchedulers = -1
		c.Logger = hclog.NewNullLogger()
	})
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		b.Fatal(err)
	}
	p := pool.NewPool(hclog.NewNullLogger(), time.Minute)
	b.Cleanup(p.Shutdown)
	transports := []struct {
		name string
		rpc  structs.RPCer
		// port is the publish port, its own per transport: both
		// services stay in the catalog and every manager serves both.
		port int
	}{
		{"in-process", s, 18080},
		{"tcp", tcpRPC{pool: p, srv: s}, 18081},
	}
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			// Each transport publishes its own service, so the two never
			// share a watch.
			name := "web-" + tr.name
			id := servicewatch.ServiceID{Namespace: structs.DefaultNamespace, Name: name}
			spec := &structs.ServicePublish{Port: tr.port, Mode: structs.PublishModeHTTP, Balance: structs.PublishBalanceRoundRobin}
			var regs []*structs.ServiceRegistration
			for _, n := range []string{"a", "b", "c"} {
				r := newInstanceB(b, n).reg(spec, structs.HealthPassing)
				r.ID, r.ServiceName, r.NodeID = "_orch-"+name+"-"+n, name, node.ID
				regs = append(regs, r)
			}
			upsert := func(r *structs.ServiceRegistration) {
				var resp structs.GenericResponse
				req := &structs.ServiceRegistrationUpsertRequest{Services: []*structs.ServiceRegistration{r}, SecretID: node.SecretID}
				if err := tr.rpc.RPC(structs.ServiceRegistrationUpsertRPC, req, &resp); err != nil {
					b.Fatalf("upsert %s: %v", r.ID, err)
				}
			}
			for _, r := range regs {
				upsert(r)
			}
			m := startLB(b, &servicewatch.RPCCatalog{RPC: tr.rpc, Region: structs.GlobalRegion, MaxWait: time.Minute})
			pollUntil(b, name+" balanced over 3 instances", func() bool { return m.Instances(id) == 3 })

			took := make([]time.Duration, 0, b.N)
			changed := *regs[0]
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				want := 2
				changed.Status = structs.HealthCritical
				if i%2 == 1 {
					changed.Status, want = structs.HealthPassing, 3
				}
				t0 := time.Now()
				upsert(&changed)
				for m.Instances(id) != want {
					if time.Since(t0) > 5*time.Second {
						var got structs.ServiceRegistrationByNameResponse
						err := s.RPC(structs.ServiceRegistrationGetRPC, &structs.ServiceRegistrationByNameRequest{ServiceName: name}, &got)
						var st []string
						for _, r := range got.Services {
							st = append(st, fmt.Sprintf("%s=%s@%d", r.ID, r.Status, r.ModifyIndex))
						}
						b.Fatalf("change %d (%s) never reached the load balancer: lb %d, catalog %v idx %d (%v)", i, changed.Status, m.Instances(id), st, got.Index, err)
					}
					time.Sleep(20 * time.Microsecond) // poll interval
				}
				took = append(took, time.Since(t0))
			}
			b.StopTimer()
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(pct(took, 0.50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(pct(took, 0.99).Microseconds()), "p99-µs")
			if testing.Verbose() {
				fmt.Printf("%s: %d changes, p50 %v, p99 %v, max %v\n", tr.name, len(took), pct(took, 0.5), pct(took, 0.99), took[len(took)-1])
			}
		})
	}
}
