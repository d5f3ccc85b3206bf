package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestServices_ListGetDelete(t *testing.T) {
	t.Parallel()
	var paths []string
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.RequestURI())
		w.Header().Set("X-Nomad-Index", "5")
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/services":
			_ = json.NewEncoder(w).Encode([]*ServiceRegistrationListStub{{Namespace: "prod", Services: []*ServiceRegistrationStub{{ServiceName: "web"}}}})
		case "GET /v1/service/web":
			_ = json.NewEncoder(w).Encode([]*ServiceRegistration{{ID: "i1", ServiceName: "web", Port: 80, Status: "passing"}})
		case "DELETE /v1/service/web/i1":
		default:
			w.WriteHeader(404)
		}
	}))
	list, qm, err := c.Services().List(nil)
	if err != nil || len(list) != 1 || list[0].Services[0].ServiceName != "web" || qm.LastIndex != 5 {
		t.Fatalf("list: %+v %+v %v", list, qm, err)
	}
	regs, _, err := c.Services().Get("web", &QueryOptions{WaitIndex: 4, WaitTime: time.Second})
	if err != nil || len(regs) != 1 || regs[0].Port != 80 || regs[0].Status != "passing" {
		t.Fatalf("get: %+v %v", regs, err)
	}
	wm, err := c.Services().Delete("web", "i1", nil)
	if err != nil || wm.LastIndex != 5 {
		t.Fatalf("delete: %+v %v", wm, err)
	}
	if _, _, err := c.Services().Get("missing/x", nil); err == nil {
		t.Error("404 not reported")
	}
	if want := "GET /v1/service/web?index=4&namespace=prod&wait=1000ms"; paths[1] != want {
		t.Errorf("get sent %q, want %q", paths[1], want)
	}
}
