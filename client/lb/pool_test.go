package lb

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func regs(ids ...string) []*structs.ServiceRegistration {
	var out []*structs.ServiceRegistration
	for i, id := range ids {
		out = append(out, &structs.ServiceRegistration{ID: id, AllocID: "alloc-" + id, Address: "127.0.0.1", Port: 1000 + i})
	}
	return out
}

func TestPoolPick(t *testing.T) {
	t.Parallel()
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	t.Run("affinity moves only the clients of a leaving instance", func(t *testing.T) {
		p := newPool(&structs.ServicePublish{ClientAffinity: structs.PublishAffinityClientIP}, time.Second, now)
		p.update(regs("a", "b", "c", "d"))
		before := map[string]string{}
		used := map[string]bool{}
		for i := 0; i < 200; i++ {
			key := fmt.Sprintf("10.0.%d.%d", i/250, i%250)
			before[key] = p.pick(key, nil).id
			used[before[key]] = true
		}
		if len(used) != 4 {
			t.Fatalf("200 clients used %d of 4 instances", len(used))
		}
		p.update(regs("a", "b", "d")) // c leaves
		for key, was := range before {
			now := p.pick(key, nil).id
			if was != "c" && now != was {
				t.Errorf("client %s moved from %s to %s though %s stayed", key, was, now, was)
			}
			if now == "c" {
				t.Errorf("client %s still on the removed instance", key)
			}
		}
	})
	t.Run("down instances are skipped until nothing else is left", func(t *testing.T) {
		p := newPool(&structs.ServicePublish{}, time.Second, now)
		p.update(regs("a", "b"))
		a := p.pick("", map[*backend]bool{})
		p.markDown(a)
		for i := 0; i < 10; i++ {
			if got := p.pick("", nil); got == a {
				t.Fatal("picked an instance marked down")
			}
		}
		other := p.pick("", nil)
		if got := p.pick("", map[*backend]bool{other: true}); got != a {
			t.Fatalf("with the other tried, got %v, want the down one as a last resort", got)
		}
		if got := p.pick("", map[*backend]bool{a: true, other: true}); got != nil {
			t.Fatalf("all tried, got %v", got)
		}
		clock = clock.Add(2 * time.Second)
		seen := map[*backend]bool{}
		for i := 0; i < 4; i++ {
			seen[p.pick("", nil)] = true
		}
		if !seen[a] {
			t.Fatal("instance not back in rotation after the down period")
		}
	})
	t.Run("least_conn prefers the idle instance", func(t *testing.T) {
		p := newPool(&structs.ServicePublish{Balance: structs.PublishBalanceLeastConn}, time.Second, now)
		p.update(regs("a", "b", "c"))
		busy := p.pick("", nil)
		busy.active.Add(5)
		for i := 0; i < 10; i++ {
			if p.pick("", nil) == busy {
				t.Fatal("least_conn picked the busy instance")
			}
		}
	})
	t.Run("update keeps counters of staying instances", func(t *testing.T) {
		p := newPool(&structs.ServicePublish{}, time.Second, now)
		p.update(regs("a", "b"))
		b := p.pick("", map[*backend]bool{})
		b.active.Add(3)
		p.update(regs("a", "b", "c"))
		for _, x := range p.backends {
			if x.id == b.id && x.active.Load() != 3 {
				t.Fatalf("counter reset to %d", x.active.Load())
			}
		}
		if p.size() != 3 {
			t.Fatalf("size %d", p.size())
		}
	})
}

func TestRates(t *testing.T) {
	t.Parallel()
	clock := time.Unix(2000, 0)
	r := newRates(func() time.Time { return clock })
	for i := 0; i < 20; i++ {
		r.add("a")
	}
	clock = clock.Add(5 * time.Second)
	for i := 0; i < 10; i++ {
		r.add("b")
	}
	got := r.perSecond()
	if got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("rates %v, want a=2 b=1", got)
	}
	clock = clock.Add(6 * time.Second) // a's second left the window
	got = r.perSecond()
	if _, ok := got["a"]; ok || got["b"] != 1 {
		t.Fatalf("rates %v, want only b=1", got)
	}
}
