package lb

import (
	"sync"
	"time"
)

// rateWindow is how far back RequestRates looks, in one-second buckets.
const rateWindow = 10

// RequestRater is what the autoscaler reads: recent requests (HTTP) or
// connections (TCP) per second through this client's load balancer, per
// allocation ID. Manager implements it.
type RequestRater interface {
	RequestRates() map[string]float64
}

// rates counts requests per allocation in one-second buckets.
type rates struct {
	now func() time.Time

	mu     sync.Mutex
	counts map[string]*[rateWindow]uint64
	stamps map[string]*[rateWindow]int64 // the second each bucket counts
}

func newRates(now func() time.Time) *rates {
	return &rates{now: now, counts: map[string]*[rateWindow]uint64{}, stamps: map[string]*[rateWindow]int64{}}
}

func (r *rates) add(allocID string) {
	sec := r.now().Unix()
	i := sec % rateWindow
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.counts[allocID]
	if !ok {
		c, r.stamps[allocID] = new([rateWindow]uint64), new([rateWindow]int64)
		r.counts[allocID] = c
	}
	s := r.stamps[allocID]
	if s[i] != sec {
		s[i], c[i] = sec, 0
	}
	c[i]++
}

// perSecond averages the last rateWindow whole seconds; allocations with
// no request in the window are dropped.
func (r *rates) perSecond() map[string]float64 {
	now := r.now().Unix()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]float64, len(r.counts))
	for id, c := range r.counts {
		s := r.stamps[id]
		var sum uint64
		for i := range c {
			if now-s[i] < rateWindow {
				sum += c[i]
			}
		}
		if sum == 0 {
			delete(r.counts, id)
			delete(r.stamps, id)
			continue
		}
		out[id] = float64(sum) / rateWindow
	}
	return out
}
