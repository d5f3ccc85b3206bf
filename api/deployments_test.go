package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestDeploymentsClient checks each method's path, verb and body against
// what the agent (and Nomad) serve.
func TestDeploymentsClient(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path, query string
		body                map[string]interface{}
	}
	var last seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		last = seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
		_ = json.Unmarshal(raw, &last.body)
		w.Header().Set("X-Nomad-Index", "7")
		switch r.URL.Path {
		case "/v1/deployments", "/v1/job/web/deployments":
			_, _ = io.WriteString(w, `[{"ID":"d1","TaskGroups":{"web":{"DesiredTotal":2}}}]`)
		case "/v1/deployment/d1":
			_, _ = io.WriteString(w, `{"ID":"d1","Status":"running"}`)
		case "/v1/deployment/allocations/d1":
			_, _ = io.WriteString(w, `[{"ID":"a1","DeploymentStatus":{"Healthy":true,"Canary":true}}]`)
		case "/v1/job/web/deployment":
			_, _ = io.WriteString(w, `null`)
		default:
			_, _ = io.WriteString(w, `{"EvalID":"e1","EvalCreateIndex":7,"DeploymentModifyIndex":7,"RevertedJobVersion":2,"Index":7}`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Deployments()
	writes := []struct {
		name string
		call func() (*DeploymentUpdateResponse, *WriteMeta, error)
		want seen
	}{
		{"promote all", func() (*DeploymentUpdateResponse, *WriteMeta, error) { return d.PromoteAll("d1", nil) },
			seen{"PUT", "/v1/deployment/promote/d1", "", map[string]interface{}{"DeploymentID": "d1", "All": true, "Groups": nil}}},
		{"promote groups", func() (*DeploymentUpdateResponse, *WriteMeta, error) {
			return d.PromoteGroups("d1", []string{"web"}, nil)
		},
			seen{"PUT", "/v1/deployment/promote/d1", "", map[string]interface{}{"DeploymentID": "d1", "All": false, "Groups": []interface{}{"web"}}}},
		{"fail", func() (*DeploymentUpdateResponse, *WriteMeta, error) { return d.Fail("d1", nil) },
			seen{"PUT", "/v1/deployment/fail/d1", "", map[string]interface{}{"DeploymentID": "d1"}}},
		{"resume", func() (*DeploymentUpdateResponse, *WriteMeta, error) { return d.Pause("d1", false, nil) },
			seen{"PUT", "/v1/deployment/pause/d1", "", map[string]interface{}{"DeploymentID": "d1", "Pause": false}}},
		{"alloc health", func() (*DeploymentUpdateResponse, *WriteMeta, error) {
			return d.SetAllocHealth("d1", []string{"a"}, nil, nil)
		}, seen{"PUT", "/v1/deployment/allocation-health/d1", "", map[string]interface{}{
			"DeploymentID": "d1", "HealthyAllocationIDs": []interface{}{"a"}, "UnhealthyAllocationIDs": nil}}},
	}
	for _, tc := range writes {
		t.Run(tc.name, func(t *testing.T) {
			resp, wm, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(last, tc.want) {
				t.Fatalf("sent %+v, want %+v", last, tc.want)
			}
			if resp.EvalID != "e1" || resp.RevertedJobVersion == nil || *resp.RevertedJobVersion != 2 || wm.LastIndex != 7 {
				t.Fatalf("answer %+v (index %d)", resp, wm.LastIndex)
			}
		})
	}

	list, qm, err := d.PrefixList("d")
	if err != nil || len(list) != 1 || list[0].TaskGroups["web"].DesiredTotal != 2 || last.query != "prefix=d" || qm.LastIndex != 7 {
		t.Fatalf("list %v %v (query %q)", list, err, last.query)
	}
	one, _, err := d.Info("d1", nil)
	if err != nil || one.Status != "running" {
		t.Fatalf("info %+v %v", one, err)
	}
	allocs, _, err := d.Allocations("d1", nil)
	if err != nil || len(allocs) != 1 || !allocs[0].DeploymentStatus.IsHealthy() || !allocs[0].DeploymentStatus.Canary {
		t.Fatalf("allocations %+v %v", allocs, err)
	}
	byJob, _, err := c.Jobs().Deployments("web", true, nil)
	if err != nil || len(byJob) != 1 || last.query != "all=true" {
		t.Fatalf("job deployments %v %v (query %q)", byJob, err, last.query)
	}
	latest, _, err := c.Jobs().LatestDeployment("web", nil)
	if err != nil || latest != nil {
		t.Fatalf("latest %+v %v, want nil for null", latest, err)
	}
}
