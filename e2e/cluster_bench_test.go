package e2e

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkClusterJobRegister measures job registrations per second
// through the leader of a three-server cluster of real agents, Raft on
// raft-boltdb with fsync. Serially one registration is in flight at a
// time (latency-bound); concurrently several are, which lets Raft batch
// them into one disk write. The jobs target a datacenter without clients,
// so the measure is the write path, not task starts.
//
//	go test -run '^$' -bench BenchmarkClusterJobRegister -benchtime 500x ./e2e
func BenchmarkClusterJobRegister(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", workers), func(b *testing.B) {
			c := startCluster(b, clusterSpec{servers: 3})
			leader, _ := c.waitLeader(30*time.Second, nil)
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if _, err := register(leader, batchJob(fmt.Sprintf("reg-%d", i), "nowhere", "/bin/true"), 30*time.Second); err != nil {
							failed.Store(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "registrations/s")
		})
	}
}

// BenchmarkClusterLeaderFailover measures the time from a kill -9 of the
// leader of a three-server cluster to another server leading (as it says
// itself). The killed server is started again between ops, untimed.
//
//	go test -run '^$' -bench BenchmarkClusterLeaderFailover -benchtime 5x ./e2e
func BenchmarkClusterLeaderFailover(b *testing.B) {
	c := startCluster(b, clusterSpec{servers: 3})
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		old, _ := c.waitLeader(60*time.Second, nil)
		b.StartTimer()
		start := time.Now()
		old.kill9()
		c.waitLeader(60*time.Second, old)
		total += time.Since(start)
		b.StopTimer()
		c.restart(old)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
}

// BenchmarkClusterLostClient measures the time from a kill -9 of a client
// running a job's allocations to their replacements running on another
// client: the heartbeat TTL plus grace dominate it. Three servers, two
// clients; the killed client is started again between ops, untimed.
//
//	go test -run '^$' -bench BenchmarkClusterLostClient -benchtime 1x ./e2e
func BenchmarkClusterLostClient(b *testing.B) {
	c := startCluster(b, clusterSpec{servers: 3, clients: 2})
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		leader, _ := c.waitLeader(60*time.Second, nil)
		b.StartTimer()
		victim, _, took := runAndLoseClient(b, c, leader, fmt.Sprintf("lost-%d", i))
		total += took
		b.StopTimer()
		if res, err := leader.do("DELETE", fmt.Sprintf("/v1/job/lost-%d?purge=true", i), nil, 10*time.Second); err != nil || res.code != 200 {
			b.Fatalf("purging lost-%d: %v %v", i, err, res)
		}
		c.restart(victim)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/replacement")
}
