package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// logHeartbeat is how often an idle followed stream gets an empty frame,
// so proxies and clients do not take the silence for a dead connection.
const logHeartbeat = 10 * time.Second

type logRequest struct {
	task    string
	logType string
	origin  string
	offset  int64
	follow  bool
	plain   bool
}

func parseLogRequest(r *http.Request) (*logRequest, error) {
	q := r.URL.Query()
	lr := &logRequest{task: q.Get("task"), logType: q.Get("type"), origin: q.Get("origin")}
	if lr.logType != "stdout" && lr.logType != "stderr" {
		return nil, badRequest("invalid log type %q: must be \"stdout\" or \"stderr\"", lr.logType)
	}
	if lr.origin == "" {
		lr.origin = api.OriginStart
	}
	if lr.origin != api.OriginStart && lr.origin != api.OriginEnd {
		return nil, badRequest("invalid origin %q: must be \"start\" or \"end\"", lr.origin)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, badRequest("invalid offset %q: must be a non-negative number of bytes", v)
		}
		lr.offset = n
	}
	var err error
	if lr.follow, err = boolParam(r, "follow"); err != nil {
		return nil, err
	}
	if lr.plain, err = boolParam(r, "plain"); err != nil {
		return nil, err
	}
	return lr, nil
}

// allocLogs streams a task's log from this agent's client: raw bytes with
// plain=true, otherwise Nomad's stream of JSON frames that Nomad's Go
// client (AllocFS().Logs) decodes.
func (s *HTTPServer) allocLogs(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	lr, err := parseLogRequest(r)
	if err != nil {
		return nil, err
	}
	alloc, err := s.lookupAlloc(r, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if lr.task, err = taskForLogs(alloc, lr.task); err != nil {
		return nil, err
	}
	if s.logs == nil || s.logs.NodeID() != alloc.NodeID {
		return nil, s.forwardToNode(w, r, alloc)
	}

	sw := &streamWriter{w: w, plain: lr.plain, offset: lr.offset,
		file: fmt.Sprintf("alloc/logs/%s.%s", lr.task, lr.logType)}
	if lr.follow && !lr.plain {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sw.heartbeat(stop)
		}()
		// The writer must be idle before the handler returns.
		defer func() {
			close(stop)
			<-done
		}()
	}
	err = s.logs.StreamLogs(r.Context(), alloc.ID, lr.task, lr.logType, lr.origin, lr.offset, lr.follow, sw)
	if err != nil && r.Context().Err() == nil {
		if !sw.started() {
			return nil, fmt.Errorf("stream logs of alloc %s task %s: %w", alloc.ID, lr.task, err)
		}
		// The status is sent; all that is left is to end the stream.
		s.logger.Warn("log stream ended with an error", "alloc_id", alloc.ID, "task", lr.task, "error", err)
	}
	sw.ensureStarted()
	return nil, nil
}

func (s *HTTPServer) lookupAlloc(r *http.Request, id string) (*structs.Allocation, error) {
	args := structs.AllocSpecificRequest{AllocID: id}
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	args.MinQueryIndex, args.MaxQueryTime = 0, 0
	var out structs.SingleAllocResponse
	if err := s.rpc.RPC(structs.AllocGetAllocRPC, &args, &out); err != nil {
		return nil, err
	}
	if out.Alloc == nil {
		return nil, notFound("alloc")
	}
	return out.Alloc, nil
}

// taskForLogs picks the task: the one named, or the group's only task.
func taskForLogs(alloc *structs.Allocation, task string) (string, error) {
	var tasks []string
	if alloc.Job != nil {
		if tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup); tg != nil {
			for _, t := range tg.Tasks {
				tasks = append(tasks, t.Name)
			}
		}
	}
	if len(tasks) == 0 {
		for name := range alloc.TaskStates {
			tasks = append(tasks, name)
		}
		slices.Sort(tasks)
	}
	switch {
	case task == "" && len(tasks) == 1:
		return tasks[0], nil
	case task == "":
		return "", badRequest("task is required: allocation %s has tasks %s", alloc.ID, strings.Join(tasks, ", "))
	case len(tasks) > 0 && !slices.Contains(tasks, task):
		return "", badRequest("unknown task %q: allocation %s has tasks %s", task, alloc.ID, strings.Join(tasks, ", "))
	}
	return task, nil
}

// otherNodeError tells the caller which agent to ask: logs are served by
// the agent on the allocation's node, and forwarding is not built yet.
// forwardedHeader marks a request one agent passed to another, so a
// stale view of where an allocation runs cannot bounce it back and forth.
const forwardedHeader = "X-Orch-Forwarded"

// forwardToNode proxies a request about an allocation on another node
// (logs, resource usage) to that node's agent, streaming its answer back
// as it comes. It returns an
// error only when nothing was written yet.
func (s *HTTPServer) forwardToNode(w http.ResponseWriter, r *http.Request, alloc *structs.Allocation) error {
	args := structs.NodeSpecificRequest{NodeID: alloc.NodeID}
	args.Region, args.Namespace, args.AuthToken = s.regionOf(r), namespaceOf(r), requestToken(r)
	var out structs.SingleNodeResponse
	if err := s.rpc.RPC(structs.NodeGetNodeRPC, &args, &out); err != nil {
		return fmt.Errorf("look up node %s of allocation %s: %w", alloc.NodeID, alloc.ID, err)
	}
	if out.Node == nil || out.Node.HTTPAddr == "" {
		return badRequest("allocation %s runs on node %s, whose agent address is unknown", alloc.ID, alloc.NodeID)
	}
	if r.Header.Get(forwardedHeader) != "" {
		return badRequest("allocation %s runs on node %s: ask the agent there, at %s", alloc.ID, alloc.NodeID, out.Node.HTTPAddr)
	}
	target := &url.URL{Scheme: "http", Host: out.Node.HTTPAddr}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set(forwardedHeader, "1")
		},
		// Flush every write: followed logs must not sit in a buffer.
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.logger.Warn("forwarding request to the allocation's node failed", "path", r.URL.Path, "alloc_id", alloc.ID, "node_addr", out.Node.HTTPAddr, "error", err)
			http.Error(w, fmt.Sprintf("allocation %s runs on node %s, whose agent at %s did not answer: %v",
				alloc.ID, alloc.NodeID, out.Node.HTTPAddr, err), http.StatusBadGateway)
		},
	}
	proxy.ServeHTTP(w, r)
	return nil
}

// streamWriter turns the client's writes into the response stream. The
// HTTP status goes out with the first write, so an error before any output
// can still become a proper error response.
type streamWriter struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	plain  bool
	file   string
	offset int64
	begun  bool
}

func (sw *streamWriter) startLocked() {
	if sw.begun {
		return
	}
	sw.begun = true
	if sw.plain {
		sw.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		sw.w.Header().Set("Content-Type", "application/json")
	}
	sw.w.WriteHeader(http.StatusOK)
}

func (sw *streamWriter) started() bool {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.begun
}

func (sw *streamWriter) ensureStarted() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.startLocked()
}

// Write sends p as raw bytes or as one frame. Frame offsets count from
// the requested offset: with origin "end" the absolute file position is
// not known to this layer.
func (sw *streamWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.startLocked()
	if sw.plain {
		n, err := sw.w.Write(p)
		sw.flushLocked()
		return n, err
	}
	frame := api.StreamFrame{Data: p, File: sw.file, Offset: sw.offset}
	buf, err := json.Marshal(&frame)
	if err != nil {
		return 0, fmt.Errorf("encode log frame: %w", err)
	}
	if _, err := sw.w.Write(append(buf, '\n')); err != nil {
		return 0, err
	}
	sw.offset += int64(len(p))
	sw.flushLocked()
	return len(p), nil
}

func (sw *streamWriter) flushLocked() {
	if f, ok := sw.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (sw *streamWriter) heartbeat(stop <-chan struct{}) {
	t := time.NewTicker(logHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			sw.mu.Lock()
			sw.startLocked()
			_, _ = sw.w.Write([]byte("{}\n"))
			sw.flushLocked()
			sw.mu.Unlock()
		}
	}
}
