package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DefaultAddress is where an agent's HTTP API listens unless told otherwise.
const DefaultAddress = "http://127.0.0.1:4646"

// Config configures a Client. DefaultConfig reads it from the environment.
type Config struct {
	// Address is the agent's HTTP address, "http://host:port"; a bare
	// "host:port" is taken as http.
	Address   string
	Region    string
	Namespace string
	// SecretID is the ACL token sent as X-Nomad-Token.
	SecretID string
	// HttpClient is used for every request; nil means a client without a
	// global timeout, because blocking queries and log streams are long.
	HttpClient *http.Client
	// WaitTime is the default wait of blocking queries.
	WaitTime time.Duration
	// Headers are added to every request.
	Headers http.Header
	// ReadRetryMaxElapsed bounds how long idempotent reads are retried on
	// connection errors (an agent restarting); zero disables retries.
	ReadRetryMaxElapsed time.Duration
}

// DefaultConfig returns a Config from ORCH_* environment variables, falling
// back to their NOMAD_* twins so existing Nomad setups keep working.
func DefaultConfig() *Config {
	cfg := &Config{
		Address:             DefaultAddress,
		ReadRetryMaxElapsed: 2 * time.Second,
	}
	if v := firstEnv("ORCH_ADDR", "NOMAD_ADDR"); v != "" {
		cfg.Address = v
	}
	cfg.Region = firstEnv("ORCH_REGION", "NOMAD_REGION")
	cfg.Namespace = firstEnv("ORCH_NAMESPACE", "NOMAD_NAMESPACE")
	cfg.SecretID = firstEnv("ORCH_TOKEN", "NOMAD_TOKEN")
	return cfg
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Client talks to one agent's HTTP API. It is safe for concurrent use.
type Client struct {
	config  Config
	baseURL *url.URL
	http    *http.Client
}

// NewClient returns a client for cfg; nil cfg means DefaultConfig().
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	c := *cfg
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if !strings.Contains(c.Address, "://") {
		c.Address = "http://" + c.Address
	}
	u, err := url.Parse(c.Address)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %w", c.Address, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid address %q: scheme must be http or https", c.Address)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid address %q: host is missing", c.Address)
	}
	hc := c.HttpClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Client{config: c, baseURL: u, http: hc}, nil
}

// Address returns the agent address the client talks to.
func (c *Client) Address() string { return c.config.Address }

// SetNamespace changes the default namespace of later requests.
func (c *Client) SetNamespace(ns string) { c.config.Namespace = ns }

// UnexpectedResponseError is returned for any non-2xx answer. The body is
// the agent's message, e.g. "job not found".
type UnexpectedResponseError struct {
	StatusCode int
	Body       string
}

func (e *UnexpectedResponseError) Error() string {
	return fmt.Sprintf("Unexpected response code: %d (%s)", e.StatusCode, e.Body)
}

// IsNotFound reports whether err is a 404 from the agent.
func IsNotFound(err error) bool {
	var ue *UnexpectedResponseError
	return errors.As(err, &ue) && ue.StatusCode == http.StatusNotFound
}

// request is one call before it becomes an *http.Request; it is rebuilt on
// every retry so nothing is consumed twice.
type request struct {
	method string
	path   string
	params url.Values
	header http.Header
	body   []byte
	ctx    context.Context
}

func (c *Client) newRequest(method, path string) *request {
	r := &request{
		method: method,
		path:   path,
		params: url.Values{},
		header: http.Header{},
		ctx:    context.Background(),
	}
	if c.config.Region != "" {
		r.params.Set("region", c.config.Region)
	}
	if c.config.Namespace != "" {
		r.params.Set("namespace", c.config.Namespace)
	}
	if c.config.WaitTime != 0 {
		r.params.Set("wait", durToMS(c.config.WaitTime))
	}
	if c.config.SecretID != "" {
		r.header.Set("X-Nomad-Token", c.config.SecretID)
	}
	for k, vs := range c.config.Headers {
		for _, v := range vs {
			r.header.Add(k, v)
		}
	}
	return r
}

func (r *request) setQueryOptions(q *QueryOptions) {
	if q == nil {
		return
	}
	if q.Region != "" {
		r.params.Set("region", q.Region)
	}
	if q.Namespace != "" {
		r.params.Set("namespace", q.Namespace)
	}
	if q.AllowStale {
		r.params.Set("stale", "")
	}
	if q.WaitIndex != 0 {
		r.params.Set("index", strconv.FormatUint(q.WaitIndex, 10))
	}
	if q.WaitTime != 0 {
		r.params.Set("wait", durToMS(q.WaitTime))
	}
	if q.Prefix != "" {
		r.params.Set("prefix", q.Prefix)
	}
	for k, v := range q.Params {
		r.params.Set(k, v)
	}
	if q.AuthToken != "" {
		r.header.Set("X-Nomad-Token", q.AuthToken)
	}
}

func (r *request) setWriteOptions(q *WriteOptions) {
	if q == nil {
		return
	}
	if q.Region != "" {
		r.params.Set("region", q.Region)
	}
	if q.Namespace != "" {
		r.params.Set("namespace", q.Namespace)
	}
	if q.AuthToken != "" {
		r.header.Set("X-Nomad-Token", q.AuthToken)
	}
}

func (r *request) setJSONBody(v interface{}) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode request body: %w", err)
	}
	r.body = b
	r.header.Set("Content-Type", "application/json")
	return nil
}

// durToMS renders a wait the way the agent parses it, in milliseconds.
func durToMS(d time.Duration) string {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

func (c *Client) toHTTP(r *request) (*http.Request, error) {
	u := *c.baseURL
	// r.path is already escaped (job IDs may hold "/"), so it goes in
	// RawPath and Path gets its decoded twin.
	raw := strings.TrimSuffix(u.EscapedPath(), "/") + r.path
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", r.method, r.path, err)
	}
	u.Path, u.RawPath = p, raw
	u.RawQuery = r.params.Encode()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(r.ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", r.method, r.path, err)
	}
	req.Header = r.header.Clone()
	return req, nil
}

// doOnce sends r and returns the response when it is a 2xx; otherwise the
// body is read into an UnexpectedResponseError.
func (c *Client) doOnce(r *request) (*http.Response, error) {
	req, err := c.toHTTP(r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &UnexpectedResponseError{
			StatusCode: resp.StatusCode,
			Body:       strings.TrimSpace(string(msg)),
		}
	}
	return resp, nil
}

// do sends r, retrying reads (and only reads: a write may have been applied
// before the connection broke) while the agent cannot be reached.
func (c *Client) do(r *request) (*http.Response, time.Duration, error) {
	start := time.Now()
	if r.method != http.MethodGet || c.config.ReadRetryMaxElapsed <= 0 {
		resp, err := c.doOnce(r)
		return resp, time.Since(start), err
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 50 * time.Millisecond
	b.MaxInterval = 500 * time.Millisecond
	b.MaxElapsedTime = c.config.ReadRetryMaxElapsed
	op := func() (*http.Response, error) {
		resp, err := c.doOnce(r)
		if err != nil && !isConnError(err) {
			return nil, backoff.Permanent(err)
		}
		return resp, err
	}
	resp, err := backoff.RetryWithData(op, backoff.WithContext(b, r.ctx))
	return resp, time.Since(start), err
}

// isConnError reports whether err means the agent was not reachable, as
// opposed to an answer we did not like.
func isConnError(err error) bool {
	var ue *UnexpectedResponseError
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func decodeBody(resp *http.Response, out interface{}) error {
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// query GETs endpoint into out and returns the index headers.
func (c *Client) query(endpoint string, out interface{}, q *QueryOptions) (*QueryMeta, error) {
	r := c.newRequest(http.MethodGet, endpoint)
	r.setQueryOptions(q)
	resp, rtt, err := c.do(r)
	if err != nil {
		return nil, err
	}
	qm := parseQueryMeta(resp)
	qm.RequestTime = rtt
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	return qm, nil
}

// write sends in as the JSON body of method endpoint and decodes into out.
func (c *Client) write(method, endpoint string, in, out interface{}, q *WriteOptions) (*WriteMeta, error) {
	r := c.newRequest(method, endpoint)
	r.setWriteOptions(q)
	if in != nil {
		if err := r.setJSONBody(in); err != nil {
			return nil, err
		}
	}
	resp, rtt, err := c.do(r)
	if err != nil {
		return nil, err
	}
	wm := &WriteMeta{RequestTime: rtt, LastIndex: parseQueryMeta(resp).LastIndex}
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	return wm, nil
}

// parseQueryMeta reads the X-Nomad-* headers; a missing or garbled header
// leaves its zero value, as Nomad's client does for optional ones.
func parseQueryMeta(resp *http.Response) *QueryMeta {
	qm := &QueryMeta{}
	if v := resp.Header.Get("X-Nomad-Index"); v != "" {
		qm.LastIndex, _ = strconv.ParseUint(v, 10, 64)
	}
	if v := resp.Header.Get("X-Nomad-LastContact"); v != "" {
		ms, _ := strconv.ParseUint(v, 10, 64)
		qm.LastContact = time.Duration(ms) * time.Millisecond
	}
	qm.KnownLeader = resp.Header.Get("X-Nomad-KnownLeader") == "true"
	return qm
}
