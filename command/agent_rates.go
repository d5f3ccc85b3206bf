package command

import (
	"sync"
	"sync/atomic"

	"github.com/orch-dev/orch/client"
	"github.com/orch-dev/orch/command/agent"
)

// The client is built before discovery starts its load balancer, yet the
// client's autoscaling samples need the balancer's request rates. A
// lateRates handed to the client at construction is filled in once the
// balancer runs; both sides find it by the agent's config, which they
// share (several agents may run in one test process).
type lateRates struct {
	r atomic.Pointer[client.RequestRater]
}

func (l *lateRates) RequestRates() map[string]float64 {
	if r := l.r.Load(); r != nil {
		return (*r).RequestRates()
	}
	return nil
}

func (l *lateRates) set(r client.RequestRater) { l.r.Store(&r) }

var ratesByAgent sync.Map // *agent.Config → *lateRates

func agentRates(cfg *agent.Config) *lateRates {
	v, _ := ratesByAgent.LoadOrStore(cfg, &lateRates{})
	return v.(*lateRates)
}

func forgetAgentRates(cfg *agent.Config) { ratesByAgent.Delete(cfg) }
