package agent

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike"
)

func (s *HTTPServer) agentSelf(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	if s.agent == nil {
		return nil, &codedError{code: http.StatusInternalServerError, msg: "agent information is not available"}
	}
	return s.agent.Self(), nil
}

func (s *HTTPServer) agentMembers(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	if s.agent == nil {
		return nil, &codedError{code: http.StatusInternalServerError, msg: "agent information is not available"}
	}
	return s.agent.Members(), nil
}

// agentHealth answers 500 with the same body when any part is unhealthy,
// so load balancers can use the status alone.
func (s *HTTPServer) agentHealth(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	if s.agent == nil {
		return nil, &codedError{code: http.StatusInternalServerError, msg: "agent information is not available"}
	}
	h := s.agent.Health()
	code := http.StatusOK
	if (h.Server != nil && !h.Server.Ok) || (h.Client != nil && !h.Client.Ok) {
		code = http.StatusInternalServerError
	}
	writeJSON(w, r, code, h)
	return nil, nil
}

// metricsGet serves the in-memory sink as JSON, or Prometheus' text format
// with ?format=prometheus when telemetry enables it.
func (s *HTTPServer) metricsGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	if r.URL.Query().Get("format") == "prometheus" {
		if s.prometheus == nil {
			return nil, badRequest("prometheus metrics are disabled: set telemetry { prometheus_metrics = true } in the agent config")
		}
		promhttp.HandlerFor(s.prometheus, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return nil, nil
	}
	if s.inmem == nil {
		return nil, &codedError{code: http.StatusInternalServerError, msg: "metrics are not enabled on this agent"}
	}
	return s.inmem.DisplayMetrics(w, r)
}

// gossipServer is what a server backend that runs gossip offers
// (nomadlike.Server does); found by type assertion so test fakes need
// not.
type gossipServer interface {
	Members() []nomadlike.Member
	Join(addrs []string) (int, error)
	Leave() error
}

var _ gossipServer = (*nomadlike.Server)(nil)

// gossipMembers converts gossip members to Nomad's /v1/agent/members
// shape.
func gossipMembers(ms []nomadlike.Member) []*api.AgentMember {
	out := make([]*api.AgentMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, &api.AgentMember{
			Name: m.Name, Addr: m.Addr.String(), Port: m.Port, Tags: m.Tags, Status: string(m.Status),
			ProtocolMin: m.ProtocolMin, ProtocolMax: m.ProtocolMax, ProtocolCur: m.ProtocolCur,
			DelegateMin: m.DelegateMin, DelegateMax: m.DelegateMax, DelegateCur: m.DelegateCur,
		})
	}
	return out
}

// Join has the agent's server join the gossip pool at addrs.
func (a *Agent) Join(addrs []string) (int, error) {
	g, ok := a.server.(gossipServer)
	if !ok {
		return 0, errors.New("this agent runs no server: only servers join the gossip pool")
	}
	return g.Join(addrs)
}

// Leave takes the agent's server out of the cluster for good (before a
// shutdown on a signal that leave_on_interrupt / leave_on_terminate
// covers); an agent without a server has nothing to leave.
func (a *Agent) Leave() error {
	if g, ok := a.server.(gossipServer); ok {
		return g.Leave()
	}
	return nil
}

// joinResponse is Nomad's answer to PUT /v1/agent/join.
type joinResponse struct {
	NumJoined int    `json:"num_joined"`
	Error     string `json:"error"`
}

// agentJoin serves PUT /v1/agent/join?address=A&address=B. As Nomad, a
// failed join is still 200, with the error in the body.
func (s *HTTPServer) agentJoin(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	j, ok := s.agent.(interface {
		Join(addrs []string) (int, error)
	})
	if !ok {
		return nil, &codedError{code: http.StatusInternalServerError, msg: "this agent cannot join servers"}
	}
	addrs := r.URL.Query()["address"]
	if len(addrs) == 0 {
		return nil, badRequest("missing address: give one or more ?address=host[:port] of servers to join")
	}
	n, err := j.Join(addrs)
	resp := joinResponse{NumJoined: n}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp, nil
}
