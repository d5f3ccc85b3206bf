package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

type clientKeyCtx struct{}

// httpProxy is a reverse proxy whose transport picks an instance per
// request.
type httpProxy struct {
	svc    *published
	logger hclog.Logger
	rp     *httputil.ReverseProxy
	base   *http.Transport
}

func newHTTPProxy(svc *published, dialTimeout time.Duration, logger hclog.Logger) *httpProxy {
	h := &httpProxy{svc: svc, logger: logger}
	h.base = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0,
	}
	h.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// X-Forwarded-For (appending to the client's), -Host, -Proto.
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			pr.SetXForwarded()
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "instance" // replaced by roundTrip
			pr.Out.Host = pr.In.Host
		},
		Transport: h,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status := http.StatusBadGateway
			if errors.Is(err, errNoInstance) {
				status = http.StatusServiceUnavailable
			}
			h.logger.Debug("proxy request failed", "path", r.URL.Path, "error", err)
			w.WriteHeader(status)
		},
	}
	return h
}

func (h *httpProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := context.WithValue(r.Context(), clientKeyCtx{}, clientIP(r.RemoteAddr))
	h.rp.ServeHTTP(w, r.WithContext(ctx))
}

var errNoInstance = errors.New("no passing instance")

// RoundTrip sends the request to the picked instance, and to the next one
// when it failed before the instance could have acted on it: a failed
// dial, or for idempotent requests whose body was not sent, any transport
// error (a reused connection the stopping instance closed).
func (h *httpProxy) RoundTrip(req *http.Request) (*http.Response, error) {
	key, _ := req.Context().Value(clientKeyCtx{}).(string)
	body := &trackedBody{rc: req.Body}
	tried := map[*backend]bool{}
	var lastErr error = errNoInstance
	for {
		b := h.svc.pool.pick(key, tried)
		if b == nil {
			return nil, lastErr
		}
		tried[b] = true
		out := req.Clone(req.Context())
		out.URL.Host = b.addr
		if req.Body != nil && req.Body != http.NoBody {
			out.Body = body
		}
		b.active.Add(1)
		resp, err := h.base.RoundTrip(out)
		if err == nil {
			h.svc.count(b)
			resp.Body = trackBody(resp.Body, func() { b.active.Add(-1) })
			return resp, nil
		}
		b.active.Add(-1)
		lastErr = err
		if req.Context().Err() != nil || !retryable(req, body, err) {
			return nil, err
		}
		h.svc.pool.markDown(b)
		h.logger.Debug("instance failed, trying the next", "alloc_id", b.allocID, "error", err)
	}
}

// retryable reports whether a failed attempt may go to another instance.
func retryable(req *http.Request, body *trackedBody, err error) bool {
	if body.read.Load() {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// trackedBody lets a request body outlive a failed attempt (the
// transport closes bodies on error) and records whether any was read.
type trackedBody struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (t *trackedBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.read.Store(true)
	}
	return n, err
}

// Close is a no-op: the HTTP server closes the inbound body once the
// handler returns, and a failed attempt must not close it for the next.
func (t *trackedBody) Close() error { return nil }

// trackBody wraps a response body so done runs once when it is closed,
// keeping an upgraded connection's body writable (ReverseProxy needs an
// io.ReadWriteCloser to splice a 101 Switching Protocols answer).
func trackBody(body io.ReadCloser, done func()) io.ReadCloser {
	d := &doneBody{ReadCloser: body, done: done}
	if rw, ok := body.(io.ReadWriteCloser); ok {
		return &doneRWBody{doneBody: d, w: rw}
	}
	return d
}

type doneRWBody struct {
	*doneBody
	w io.Writer
}

func (d *doneRWBody) Write(p []byte) (int, error) { return d.w.Write(p) }

// doneBody calls done once when the response body is closed.
type doneBody struct {
	io.ReadCloser
	once atomic.Bool
	done func()
}

func (d *doneBody) Close() error {
	err := d.ReadCloser.Close()
	if d.once.CompareAndSwap(false, true) {
		d.done()
	}
	return err
}
