package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// JobParser turns jobspec source into an api.Job, with file:line in its
// errors. vars is var-file content ("name = value" lines) giving the
// jobspec's variables their values; nil when the request has none.
type JobParser func(filename string, src, vars []byte) (*api.Job, error)

// LogStreamer reads task logs of allocations on this agent's own node;
// the client satisfies it, and AllocStatsReader too.
type LogStreamer interface {
	NodeID() string
	// StreamLogs copies a task's log to w from offset relative to origin
	// ("start" or "end"); with follow it keeps copying new output until
	// ctx is done.
	StreamLogs(ctx context.Context, allocID, task, logType, origin string, offset int64, follow bool, w io.Writer) error
}

// AgentInfo describes the running agent to the /v1/agent endpoints.
type AgentInfo interface {
	Self() *api.AgentSelf
	Members() *api.ServerMembers
	// Health reports each part the agent runs; a part it does not run is nil.
	Health() *api.AgentHealthResponse
}

// HTTPServerConfig is what the HTTP server needs from the agent.
type HTTPServerConfig struct {
	Logger hclog.Logger
	RPC    structs.RPCer
	// Region answers requests that name none.
	Region string
	Agent  AgentInfo
	// Logs is nil when the agent runs no client.
	Logs LogStreamer
	// Parser is nil when jobspec parsing is not wired in.
	Parser JobParser
	// Metrics backs /v1/metrics; nil disables the endpoint.
	Metrics *metrics.InmemSink
	// Prometheus backs ?format=prometheus; nil when telemetry disables it.
	Prometheus prometheus.Gatherer
	// Events serves /v1/event/stream; nil when the agent runs no server.
	Events EventSubscriber
	// EventHeartbeat spaces the stream's keep-alives (default
	// DefaultEventHeartbeat).
	EventHeartbeat time.Duration
}

// HTTPServer serves Nomad's /v1 API over the agent's RPC endpoints.
type HTTPServer struct {
	logger     hclog.Logger
	rpc        structs.RPCer
	region     string
	agent      AgentInfo
	logs       LogStreamer
	parser     JobParser
	inmem      *metrics.InmemSink
	prometheus prometheus.Gatherer

	events         EventSubscriber
	eventHeartbeat time.Duration
	// streams is canceled by Shutdown so that open event streams end
	// instead of holding the shutdown until its deadline.
	streams       context.Context
	cancelStreams context.CancelFunc

	mux *http.ServeMux
	srv *http.Server
	ln  net.Listener
}

// NewHTTPServer builds the server and its routes; Start makes it listen.
func NewHTTPServer(cfg *HTTPServerConfig) (*HTTPServer, error) {
	if cfg.RPC == nil {
		return nil, errors.New("http server: an RPC endpoint is required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	region := cfg.Region
	if region == "" {
		region = structs.GlobalRegion
	}
	s := &HTTPServer{
		logger:     logger.Named("http"),
		rpc:        cfg.RPC,
		region:     region,
		agent:      cfg.Agent,
		logs:       cfg.Logs,
		parser:     cfg.Parser,
		inmem:      cfg.Metrics,
		prometheus: cfg.Prometheus,
		mux:        http.NewServeMux(),
	}
	s.events, s.eventHeartbeat = cfg.Events, cfg.EventHeartbeat
	s.streams, s.cancelStreams = context.WithCancel(context.Background())
	if s.eventHeartbeat <= 0 {
		s.eventHeartbeat = DefaultEventHeartbeat
	}
	s.registerRoutes()
	s.registerServiceRoutes()
	return s, nil
}

// registerRoutes maps Nomad's /v1 paths to handlers. ServeMux answers 405
// with an Allow header when a path matches but the method does not.
func (s *HTTPServer) registerRoutes() {
	routes := []struct {
		pattern string
		name    string
		h       endpoint
	}{
		{"GET /v1/jobs", "jobs_list", s.jobsList},
		{"PUT /v1/jobs", "jobs_register", s.jobsRegister},
		{"POST /v1/jobs", "jobs_register", s.jobsRegister},
		{"PUT /v1/jobs/parse", "jobs_parse", s.jobsParse},
		{"POST /v1/jobs/parse", "jobs_parse", s.jobsParse},
		{"GET /v1/job/{id}", "job_get", s.jobGet},
		{"PUT /v1/job/{id}", "job_register", s.jobRegister},
		{"POST /v1/job/{id}", "job_register", s.jobRegister},
		{"DELETE /v1/job/{id}", "job_deregister", s.jobDeregister},
		{"GET /v1/job/{id}/allocations", "job_allocations", s.jobAllocations},
		{"GET /v1/job/{id}/evaluations", "job_evaluations", s.jobEvaluations},
		{"GET /v1/job/{id}/summary", "job_summary", s.jobSummary},
		{"GET /v1/job/{id}/versions", "job_versions", s.jobVersions},
		{"PUT /v1/job/{id}/revert", "job_revert", s.jobRevert},
		{"POST /v1/job/{id}/revert", "job_revert", s.jobRevert},
		{"PUT /v1/job/{id}/stable", "job_stable", s.jobStable},
		{"POST /v1/job/{id}/stable", "job_stable", s.jobStable},
		{"POST /v1/job/{id}/dispatch", "job_dispatch", s.jobDispatch},
		{"PUT /v1/job/{id}/dispatch", "job_dispatch", s.jobDispatch},
		{"POST /v1/job/{id}/periodic/force", "job_periodic_force", s.jobPeriodicForce},
		{"PUT /v1/job/{id}/periodic/force", "job_periodic_force", s.jobPeriodicForce},
		{"GET /v1/job/{id}/scale", "job_scale_status", s.jobScaleStatus},
		{"PUT /v1/job/{id}/scale", "job_scale", s.jobScale},
		{"POST /v1/job/{id}/scale", "job_scale", s.jobScale},
		{"GET /v1/scaling/policies", "scaling_policies", s.scalingPolicies},
		{"GET /v1/scaling/policy/{id}", "scaling_policy", s.scalingPolicy},
		{"PUT /v1/job/{id}/plan", "job_plan", s.jobPlan},
		{"POST /v1/job/{id}/plan", "job_plan", s.jobPlan},
		{"PUT /v1/validate/job", "job_validate", s.jobValidate},
		{"POST /v1/validate/job", "job_validate", s.jobValidate},
		{"GET /v1/allocations", "allocs_list", s.allocsList},
		{"GET /v1/allocation/{id}", "alloc_get", s.allocGet},
		{"GET /v1/evaluations", "evals_list", s.evalsList},
		{"GET /v1/evaluation/{id}", "eval_get", s.evalGet},
		{"GET /v1/evaluation/{id}/allocations", "eval_allocations", s.evalAllocations},
		{"GET /v1/nodes", "nodes_list", s.nodesList},
		{"GET /v1/node/{id}", "node_get", s.nodeGet},
		{"GET /v1/node/{id}/allocations", "node_allocations", s.nodeAllocations},
		{"POST /v1/node/{id}/drain", "node_drain", s.nodeDrain},
		{"PUT /v1/node/{id}/drain", "node_drain", s.nodeDrain},
		{"POST /v1/node/{id}/eligibility", "node_eligibility", s.nodeEligibility},
		{"PUT /v1/node/{id}/eligibility", "node_eligibility", s.nodeEligibility},
		{"GET /v1/client/fs/logs/{id}", "fs_logs", s.allocLogs},
		{"GET /v1/client/allocation/{id}/stats", "client_allocation_stats", s.allocStats},
		{"GET /v1/agent/self", "agent_self", s.agentSelf},
		{"GET /v1/agent/health", "agent_health", s.agentHealth},
		{"GET /v1/agent/members", "agent_members", s.agentMembers},
		{"PUT /v1/agent/join", "agent_join", s.agentJoin},
		{"POST /v1/agent/join", "agent_join", s.agentJoin},
		{"GET /v1/event/stream", "event_stream", s.eventStream},
		{"GET /v1/status/leader", "status_leader", s.statusLeader},
		{"GET /v1/status/peers", "status_peers", s.statusPeers},
		{"GET /v1/metrics", "metrics", s.metricsGet},
		{"GET /v1/operator/raft/configuration", "operator_raft_configuration", s.operatorRaftConfiguration},
		{"DELETE /v1/operator/raft/peer", "operator_raft_peer", s.operatorRaftPeer},
		{"GET /v1/operator/snapshot", "operator_snapshot_save", s.operatorSnapshotSave},
		{"PUT /v1/operator/snapshot", "operator_snapshot_restore", s.operatorSnapshotRestore},
		{"GET /v1/operator/scheduler/configuration", "operator_scheduler_get_config", s.operatorSchedulerConfiguration},
		{"PUT /v1/operator/scheduler/configuration", "operator_scheduler_set_config", s.operatorSchedulerUpdate},
		{"POST /v1/operator/scheduler/configuration", "operator_scheduler_set_config", s.operatorSchedulerUpdate},
	}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, s.wrap(rt.name, rt.h))
	}
	s.registerDeploymentRoutes()
}

// Handler returns the routed handler, for tests and for embedding.
func (s *HTTPServer) Handler() http.Handler { return s.mux }

// Start listens on addr ("host:port"; port 0 picks one) and serves in the
// background. It returns the address actually bound.
func (s *HTTPServer) Start(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http server: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          s.logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "error", err)
		}
	}()
	s.logger.Info("http server started", "address", ln.Addr().String())
	return ln.Addr(), nil
}

// Shutdown stops accepting requests and waits for running ones until ctx
// ends; blocking queries and log streams are cut at that point.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	s.cancelStreams()
	if s.srv == nil {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("http server: shutdown: %w", err)
	}
	return nil
}

// endpoint handles one request. It returns the object to encode as JSON,
// or nil when it wrote the response itself.
type endpoint func(w http.ResponseWriter, r *http.Request) (interface{}, error)

// ACLIdentity is who a request acts as. Tokens are not checked yet; the
// type exists so that ACLs slot into authenticate without touching every
// handler.
type ACLIdentity struct {
	// Token is the secret the request presented, "" for anonymous.
	Token string
}

type identityKey struct{}

// authenticate resolves the request's token, from X-Nomad-Token or an
// "Authorization: Bearer" header. Every request passes through it; for
// now every identity is allowed.
func (s *HTTPServer) authenticate(r *http.Request) (*ACLIdentity, error) {
	token := r.Header.Get("X-Nomad-Token")
	if token == "" {
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, rest, ok := strings.Cut(auth, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return nil, badRequest("Authorization header must be \"Bearer <token>\"")
			}
			token = strings.TrimSpace(rest)
		}
	}
	return &ACLIdentity{Token: token}, nil
}

func requestToken(r *http.Request) string {
	if id, ok := r.Context().Value(identityKey{}).(*ACLIdentity); ok {
		return id.Token
	}
	return ""
}

func (s *HTTPServer) wrap(name string, h endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer metrics.MeasureSince([]string{"http", "request", name}, start)

		ident, err := s.authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), identityKey{}, ident))
		if err := s.checkRegion(r.URL.Query().Get("region")); err != nil {
			s.writeError(w, r, err)
			return
		}
		obj, err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if obj != nil {
			writeJSON(w, r, http.StatusOK, obj)
		}
	})
}

// codedError carries the HTTP status a handler chose.
type codedError struct {
	code int
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func badRequest(format string, args ...interface{}) error {
	return &codedError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(what string) error {
	return &codedError{code: http.StatusNotFound, msg: what + " not found"}
}

// errorStatus maps an error to a status and message. Server errors may
// have crossed the RPC wire as plain strings, so the sentinels are matched
// by text as well as by errors.Is.
func errorStatus(err error) (int, string) {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code, ce.msg
	}
	is := func(target error) bool {
		return errors.Is(err, target) || strings.Contains(err.Error(), target.Error())
	}
	switch {
	case is(structs.ErrNoLeader) && strings.Contains(err.Error(), "outcome unknown"):
		// Nomad's words first, so clients matching them still retry.
		return http.StatusInternalServerError, "No cluster leader: the leader did not answer in time, so the request may or may not have been applied"
	case is(structs.ErrNoLeader):
		return http.StatusInternalServerError, "No cluster leader"
	case is(structs.ErrPermission):
		return http.StatusForbidden, err.Error()
	case is(structs.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case is(structs.ErrBadRequest):
		return http.StatusBadRequest, err.Error()
	case is(structs.ErrIndexChanged):
		return http.StatusBadRequest, enforceIndexMessage(err.Error())
	}
	return http.StatusInternalServerError, err.Error()
}

// enforceIndexMessage cuts a lost EnforceIndex race down to Nomad's text,
// "Enforcing job modify index 3: job exists with conflicting job modify
// index: 5", which Nomad's CLI finds inside the error its API client
// builds from the response; any context orch added in front goes.
func enforceIndexMessage(msg string) string {
	if i := strings.Index(msg, api.RegisterEnforceIndexErrPrefix); i >= 0 {
		return msg[i:]
	}
	return msg
}

func (s *HTTPServer) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := errorStatus(err)
	if code >= 500 {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else {
		s.logger.Debug("request rejected", "method", r.Method, "path", r.URL.Path, "code", code, "error", msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, obj interface{}) {
	w.Header().Set("Content-Type", "application/json")
	var (
		buf []byte
		err error
	)
	if isPretty(r) {
		buf, err = json.MarshalIndent(obj, "", "    ")
	} else {
		buf, err = json.Marshal(obj)
	}
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(code)
	_, _ = w.Write(buf)
	if isPretty(r) {
		_, _ = w.Write([]byte("\n"))
	}
}

func isPretty(r *http.Request) bool {
	v, ok := r.URL.Query()["pretty"]
	if !ok {
		return false
	}
	if len(v) == 0 || v[0] == "" {
		return true
	}
	b, err := strconv.ParseBool(v[0])
	return err == nil && b
}

// maxQueryTime caps blocking queries, as Nomad does, so a client asking
// for an hour still gets an answer the proxy in between will wait for.
const maxQueryTime = 10 * time.Minute

// parseQueryOptions fills q from the request's query string and token.
func (s *HTTPServer) parseQueryOptions(r *http.Request, q *structs.QueryOptions) error {
	v := r.URL.Query()
	q.Namespace = namespaceOf(r)
	q.Region = s.regionOf(r)
	q.Prefix = v.Get("prefix")
	q.AuthToken = requestToken(r)
	if _, ok := v["stale"]; ok {
		q.AllowStale = v.Get("stale") != "false"
	}
	if idx := v.Get("index"); idx != "" {
		n, err := strconv.ParseUint(idx, 10, 64)
		if err != nil {
			return badRequest("invalid index %q: must be a non-negative integer", idx)
		}
		q.MinQueryIndex = n
	}
	if wait := v.Get("wait"); wait != "" {
		d, err := time.ParseDuration(wait)
		if err != nil || d < 0 {
			return badRequest("invalid wait %q: must be a duration such as \"30s\" or \"5m\"", wait)
		}
		q.MaxQueryTime = min(d, maxQueryTime)
	}
	return nil
}

func (s *HTTPServer) writeRequest(r *http.Request) structs.WriteRequest {
	return structs.WriteRequest{Region: s.regionOf(r), Namespace: namespaceOf(r), AuthToken: requestToken(r)}
}

func namespaceOf(r *http.Request) string {
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		return ns
	}
	return structs.DefaultNamespace
}

// checkRegion refuses a request or job naming a region other than the
// agent's. Nomad would forward it to that region; orch has one region, so
// taking the request would file the work under a region nothing serves.
// An empty region means the agent's.
func (s *HTTPServer) checkRegion(region string) error {
	if region != "" && region != s.region {
		return badRequest("unknown region %q: this cluster serves region %q", region, s.region)
	}
	return nil
}

func (s *HTTPServer) regionOf(r *http.Request) string {
	if region := r.URL.Query().Get("region"); region != "" {
		return region
	}
	return s.region
}

// query runs one read RPC as every GET handler does: the request's query
// options (blocking index and wait, stale, prefix, namespace) are parsed
// into q, which is part of args, and the reply's meta becomes Nomad's
// X-Nomad-* headers.
func (s *HTTPServer) query(w http.ResponseWriter, r *http.Request, method string, q *structs.QueryOptions, args, reply interface{}, meta *structs.QueryMeta) error {
	if err := s.parseQueryOptions(r, q); err != nil {
		return err
	}
	if err := s.rpc.RPC(method, args, reply); err != nil {
		return err
	}
	setMeta(w, meta)
	return nil
}

// setMeta writes the headers Nomad's Go client reads after every query.
// The index is never 0: a client blocking on index 0 would not block.
func setMeta(w http.ResponseWriter, m *structs.QueryMeta) {
	setIndex(w, m.Index)
	w.Header().Set("X-Nomad-KnownLeader", strconv.FormatBool(m.KnownLeader))
	w.Header().Set("X-Nomad-LastContact", strconv.FormatInt(m.LastContact.Milliseconds(), 10))
}

func setIndex(w http.ResponseWriter, index uint64) {
	w.Header().Set("X-Nomad-Index", strconv.FormatUint(max(index, 1), 10))
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("invalid %s value %q: must be true or false", name, v)
	}
	return b, nil
}

// emptyIfNil makes lists encode as [] rather than null, as Nomad does.
func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
