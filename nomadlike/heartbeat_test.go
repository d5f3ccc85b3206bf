package nomadlike

import (
	"sync"
	"testing"
	"time"
)

// expiryRecorder records onExpire calls in order.
type expiryRecorder struct {
	mu      sync.Mutex
	expired []string
}

func (r *expiryRecorder) onExpire(nodeID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expired = append(r.expired, nodeID)
}

func (r *expiryRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.expired...)
}

func TestHeartbeater(t *testing.T) {
	t.Parallel()
	// Each case arms "sentinel" last with the longest TTL: once it has
	// expired, every shorter timer that was going to fire has fired.
	tests := []struct {
		name string
		arm  func(h *Heartbeater)
		want []string
	}{
		{
			name: "expiry fires once",
			arm:  func(h *Heartbeater) { h.ResetTTL("n1", 10*time.Millisecond) },
			want: []string{"n1", "sentinel"},
		},
		{
			name: "reset postpones",
			arm: func(h *Heartbeater) {
				h.ResetTTL("n1", 10*time.Millisecond)
				h.ResetTTL("n1", time.Hour)
			},
			want: []string{"sentinel"},
		},
		{
			name: "reset can shorten",
			arm: func(h *Heartbeater) {
				h.ResetTTL("n1", time.Hour)
				h.ResetTTL("n1", 10*time.Millisecond)
			},
			want: []string{"n1", "sentinel"},
		},
		{
			name: "clear stops the timer",
			arm: func(h *Heartbeater) {
				h.ResetTTL("n1", 10*time.Millisecond)
				h.ResetTTL("n2", 10*time.Millisecond)
				h.Clear("n1")
			},
			want: []string{"n2", "sentinel"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &expiryRecorder{}
			h := newHeartbeater(rec.onExpire, loopsTestLogger(t))
			t.Cleanup(h.ClearAll)
			tc.arm(h)
			h.ResetTTL("sentinel", 150*time.Millisecond)
			loopsWaitFor(t, 5*time.Second, "sentinel expiry", func() bool {
				got := rec.get()
				return len(got) > 0 && got[len(got)-1] == "sentinel"
			})
			got := rec.get()
			if len(got) != len(tc.want) {
				t.Fatalf("expired %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("expired %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestHeartbeater_ClearAll(t *testing.T) {
	t.Parallel()
	rec := &expiryRecorder{}
	h := newHeartbeater(rec.onExpire, loopsTestLogger(t))
	h.ResetTTL("n1", time.Hour)
	h.ResetTTL("n2", time.Hour)
	if h.Len() != 2 {
		t.Fatalf("len = %d, want 2", h.Len())
	}
	h.ClearAll()
	if h.Len() != 0 {
		t.Fatalf("len after ClearAll = %d, want 0", h.Len())
	}
	h.ResetTTL("n3", time.Millisecond)
	loopsWaitFor(t, 5*time.Second, "n3 expiry", func() bool { return len(rec.get()) == 1 })
	if h.Len() != 0 {
		t.Fatalf("len after expiry = %d, want 0: an expired timer must not fire again", h.Len())
	}
}

func TestHeartbeatTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		nodes    int
		min      time.Duration
		rate     float64
		wantBase time.Duration // the TTL lies in [base, 2*base)
	}{
		{"small cluster gets the minimum", 10, 10 * time.Second, 50, 10 * time.Second},
		{"no nodes", 0, 10 * time.Second, 50, 10 * time.Second},
		{"large cluster scales with the rate", 1000, 10 * time.Second, 50, 20 * time.Second},
		{"unset rate uses Nomad's default", 2000, 10 * time.Second, 0, 40 * time.Second},
		{"no minimum and no nodes", 0, 0, 50, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := map[time.Duration]bool{}
			for i := 0; i < 200; i++ {
				ttl := HeartbeatTTL(tc.nodes, tc.min, tc.rate)
				if tc.wantBase == 0 {
					if ttl != 0 {
						t.Fatalf("ttl = %s, want 0", ttl)
					}
					continue
				}
				if ttl < tc.wantBase || ttl >= 2*tc.wantBase {
					t.Fatalf("ttl = %s, want within [%s, %s)", ttl, tc.wantBase, 2*tc.wantBase)
				}
				seen[ttl] = true
			}
			if tc.wantBase > 0 && len(seen) < 2 {
				t.Fatalf("200 TTLs took %d distinct values: no stagger", len(seen))
			}
		})
	}
}
