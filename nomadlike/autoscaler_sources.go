package nomadlike

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orch-dev/orch/nomadlike/autoscale"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// metricSource answers one check for one group. It is called from the
// autoscaler's goroutine only; it must return within ctx's deadline and
// report a failure in Reading.Err (never panic), since the autoscaler
// turns it into a scaling event saying why no decision was made.
type metricSource interface {
	Read(ctx context.Context, q sourceQuery) autoscale.Reading
}

// sourceQuery is what a source needs to know about the group.
type sourceQuery struct {
	Check *structs.ScalingCheck
	// Running are the IDs of the group's running allocations.
	Running []string
	// Count is the group's count; allocations of it without a sample
	// (not yet placed or running) count as running at the target.
	Count int
	Now   time.Time
	// Window is how far back samples are averaged.
	Window time.Duration
}

// orchSource reads the leader's sample window: each running allocation's
// mean over the window, as a percent of what it asked for.
type orchSource struct {
	metrics *allocMetrics
}

func (o orchSource) Read(_ context.Context, q sourceQuery) autoscale.Reading {
	var r autoscale.Reading
	for _, id := range q.Running {
		v, ok, err := o.metrics.average(id, q.Check.Query, q.Now, q.Window)
		if err != nil {
			return autoscale.Reading{Err: err}
		}
		if ok {
			r.Values = append(r.Values, v)
		}
	}
	if missing := q.Count - len(r.Values); missing > 0 {
		r.Missing = missing
	}
	return r
}

// prometheusSource runs the check's query as an instant query against a
// Prometheus server's HTTP API (/api/v1/query), which must answer one
// scalar or a vector of one sample.
type prometheusSource struct {
	address string
	client  *http.Client
}

// promResponse is the part of Prometheus' query answer orch reads.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

func (p prometheusSource) Read(ctx context.Context, q sourceQuery) autoscale.Reading {
	v, err := p.query(ctx, q.Check.Query)
	if err != nil {
		return autoscale.Reading{Err: fmt.Errorf("prometheus: %w", err)}
	}
	return autoscale.Reading{Values: []float64{v}}
}

// query runs an instant query at the Prometheus server's now; the URL
// carries no time, so a failure reads the same on every evaluation and is
// recorded once.
func (p prometheusSource) query(ctx context.Context, query string) (float64, error) {
	if p.address == "" {
		return 0, fmt.Errorf("no prometheus_address configured on the servers")
	}
	u := p.address + "/api/v1/query?" + url.Values{"query": {query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("build query: %w", err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("query %s: %w", p.address, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("read answer: %w", err)
	}
	var pr promResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		return 0, fmt.Errorf("answer (HTTP %d) is not Prometheus JSON: %w", resp.StatusCode, err)
	}
	if pr.Status != "success" {
		return 0, fmt.Errorf("query %q failed: %s: %s", query, pr.ErrorType, pr.Error)
	}
	return promValue(pr.Data.ResultType, pr.Data.Result)
}

// promValue extracts the one number of a scalar or one-sample vector.
func promValue(resultType string, raw json.RawMessage) (float64, error) {
	var pair []interface{}
	switch resultType {
	case "scalar":
		if err := json.Unmarshal(raw, &pair); err != nil {
			return 0, fmt.Errorf("scalar result: %w", err)
		}
	case "vector":
		var vec []struct {
			Value []interface{} `json:"value"`
		}
		if err := json.Unmarshal(raw, &vec); err != nil {
			return 0, fmt.Errorf("vector result: %w", err)
		}
		if len(vec) != 1 {
			return 0, fmt.Errorf("query returned %d series, want exactly 1 (aggregate it, e.g. with sum or avg)", len(vec))
		}
		pair = vec[0].Value
	default:
		return 0, fmt.Errorf("result type %q, want scalar or vector", resultType)
	}
	if len(pair) != 2 {
		return 0, fmt.Errorf("sample %v is not [time, value]", pair)
	}
	s, ok := pair[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", pair[1])
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("sample value %q is not a finite number", s)
	}
	return v, nil
}
