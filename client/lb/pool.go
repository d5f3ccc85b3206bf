package lb

import (
	"hash/fnv"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// backend is one instance the pool can send to.
type backend struct {
	id      string // the registration ID
	allocID string
	addr    string // host:port
	// active counts connections or requests in flight, for least_conn.
	active atomic.Int64
	// downUntil (unix nanos) is set when a dial failed: the instance is
	// skipped until then unless nothing else is left.
	downUntil atomic.Int64
}

// pool is the set of passing instances of one published service and the
// balancing state. Its methods are safe for concurrent use.
type pool struct {
	downFor time.Duration
	now     func() time.Time

	mu       sync.RWMutex
	balance  string
	affinity string
	backends []*backend // sorted by id
	next     atomic.Uint64
}

func newPool(spec *structs.ServicePublish, downFor time.Duration, now func() time.Time) *pool {
	return &pool{balance: spec.Balance, affinity: spec.ClientAffinity, downFor: downFor, now: now}
}

// setStrategy changes balancing in place, so a new job version that only
// changes balance or client_affinity drops no connection.
func (p *pool) setStrategy(spec *structs.ServicePublish) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.balance, p.affinity = spec.Balance, spec.ClientAffinity
}

// update replaces the instances; backends that stay keep their counters
// and down marks.
func (p *pool) update(passing []*structs.ServiceRegistration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := make(map[string]*backend, len(p.backends))
	for _, b := range p.backends {
		old[b.id] = b
	}
	out := make([]*backend, 0, len(passing))
	for _, in := range passing {
		if in.Address == "" || in.Port <= 0 {
			continue // nothing to dial; ":port" would reach this client itself
		}
		addr := joinHostPort(in.Address, in.Port)
		if b, ok := old[in.ID]; ok && b.addr == addr {
			out = append(out, b)
			continue
		}
		out = append(out, &backend{id: in.ID, allocID: in.AllocID, addr: addr})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	p.backends = out
}

// size is the number of instances.
func (p *pool) size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.backends)
}

// markDown keeps b out of rotation for downFor.
func (p *pool) markDown(b *backend) {
	b.downUntil.Store(p.now().Add(p.downFor).UnixNano())
}

// pick chooses the instance for a connection or request from a client
// (key is its IP, used for affinity), skipping the ones already tried.
// It returns nil when every instance was tried.
func (p *pool) pick(key string, tried map[*backend]bool) *backend {
	p.mu.RLock()
	defer p.mu.RUnlock()
	now := p.now().UnixNano()
	var up, down []*backend
	for _, b := range p.backends {
		if tried[b] {
			continue
		}
		if b.downUntil.Load() > now {
			down = append(down, b)
		} else {
			up = append(up, b)
		}
	}
	cands := up
	if len(cands) == 0 {
		cands = down // better to try a recently failed instance than fail
	}
	if len(cands) == 0 {
		return nil
	}
	if p.affinity == structs.PublishAffinityClientIP && key != "" {
		return rendezvous(key, cands)
	}
	start := int(p.next.Add(1) % uint64(len(cands)))
	if p.balance != structs.PublishBalanceLeastConn {
		return cands[start]
	}
	// Least connections, scanning from a rotating start so ties rotate.
	best := cands[start]
	for i := 1; i < len(cands); i++ {
		b := cands[(start+i)%len(cands)]
		if b.active.Load() < best.active.Load() {
			best = b
		}
	}
	return best
}

// rendezvous picks the candidate with the highest hash of key and its ID:
// the choice for a key changes only when its instance leaves.
func rendezvous(key string, cands []*backend) *backend {
	var best *backend
	var bestScore uint64
	for _, b := range cands {
		h := fnv.New64a()
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write([]byte(b.id))
		if s := h.Sum64(); best == nil || s > bestScore {
			best, bestScore = b, s
		}
	}
	return best
}
