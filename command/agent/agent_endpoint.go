package agent

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
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
