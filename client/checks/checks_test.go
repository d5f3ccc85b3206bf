package checks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func targetOf(t *testing.T, addr string) Target {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Target{Address: host, Port: p}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := targetOf(t, ln.Addr().String())
	ln.Close()
	return tg
}

func TestHTTPCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Probe") != "orch" && r.URL.Path != "/plain" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/ok", "/plain":
			_, _ = w.Write([]byte("fine"))
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/slow":
			time.Sleep(time.Second)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	target := targetOf(t, u.Host)
	hdr := map[string][]string{"X-Probe": {"orch"}}
	cases := []struct {
		name   string
		check  structs.ServiceCheck
		target Target
		want   string
		output string
	}{
		{"2xx passes", structs.ServiceCheck{Path: "/ok", Header: hdr}, target, structs.HealthPassing, "200 OK Output: fine"},
		{"headers are sent", structs.ServiceCheck{Path: "/ok"}, target, structs.HealthCritical, "400 Bad Request"},
		{"500 is critical", structs.ServiceCheck{Path: "/fail", Header: hdr}, target, structs.HealthCritical, "500"},
		{"429 is a warning", structs.ServiceCheck{Path: "/busy", Header: hdr}, target, structs.HealthWarning, "429"},
		{"expected status accepted", structs.ServiceCheck{Path: "/nocontent", Header: hdr, ExpectedStatus: []int{204}}, target, structs.HealthPassing, "204"},
		{"2xx outside expected status", structs.ServiceCheck{Path: "/ok", Header: hdr, ExpectedStatus: []int{204}}, target, structs.HealthCritical, "200"},
		{"method is used", structs.ServiceCheck{Path: "/plain", Method: "HEAD"}, target, structs.HealthPassing, "HTTP HEAD /plain"},
		{"timeout", structs.ServiceCheck{Path: "/slow", Header: hdr, Timeout: 200 * time.Millisecond}, target, structs.HealthCritical, "deadline exceeded"},
		{"refused connection", structs.ServiceCheck{Path: "/ok"}, closedPort(t), structs.HealthCritical, "refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check.Type = structs.ServiceCheckHTTP
			got := Run(context.Background(), &tc.check, tc.target)
			if got.Status != tc.want || !strings.Contains(got.Output, tc.output) {
				t.Errorf("got %s (%s), want %s containing %q", got.Status, got.Output, tc.want, tc.output)
			}
		})
	}
}

func TestTCPCheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	check := &structs.ServiceCheck{Type: structs.ServiceCheckTCP, Timeout: time.Second}
	if got := Run(context.Background(), check, targetOf(t, ln.Addr().String())); got.Status != structs.HealthPassing {
		t.Errorf("listening port: %+v", got)
	}
	if got := Run(context.Background(), check, closedPort(t)); got.Status != structs.HealthCritical || !strings.Contains(got.Output, "refused") {
		t.Errorf("closed port: %+v", got)
	}
}

func TestGRPCCheck(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("shop.Cart", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("shop.Admin", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	target := targetOf(t, ln.Addr().String())
	cases := []struct{ name, service, want, output string }{
		{"serving", "shop.Cart", structs.HealthPassing, "SERVING"},
		{"whole server", "", structs.HealthPassing, "SERVING"},
		{"not serving", "shop.Admin", structs.HealthCritical, "NOT_SERVING"},
		{"unknown service", "shop.Nope", structs.HealthCritical, "NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := &structs.ServiceCheck{Type: structs.ServiceCheckGRPC, GRPCService: tc.service, Timeout: 5 * time.Second}
			got := Run(context.Background(), check, target)
			if got.Status != tc.want || !strings.Contains(got.Output, tc.output) {
				t.Errorf("got %s (%s), want %s containing %q", got.Status, got.Output, tc.want, tc.output)
			}
		})
	}
	check := &structs.ServiceCheck{Type: structs.ServiceCheckGRPC, Timeout: time.Second}
	if got := Run(context.Background(), check, closedPort(t)); got.Status != structs.HealthCritical {
		t.Errorf("closed port: %+v", got)
	}
}

// shellExec runs the command as a raw_exec task's script check does.
func shellExec(ctx context.Context, command string, args []string) ([]byte, int, error) {
	out, err := exec.CommandContext(ctx, command, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out, ee.ExitCode(), nil
	}
	return out, 0, err
}

func TestScriptCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, script string
		exec         ExecFunc
		want, output string
	}{
		{"exit 0 passes", "echo all good", shellExec, structs.HealthPassing, "all good"},
		{"exit 1 warns", "echo degraded; exit 1", shellExec, structs.HealthWarning, "degraded"},
		{"exit 2 is critical", "echo broken; exit 2", shellExec, structs.HealthCritical, "exit code 2: broken"},
		{"timeout is critical", "exec sleep 5", shellExec, structs.HealthCritical, "timed out"},
		{"no exec for the driver", "true", nil, structs.HealthCritical, "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check := &structs.ServiceCheck{Type: structs.ServiceCheckScript, Command: "/bin/sh", Args: []string{"-c", tc.script}, Timeout: 300 * time.Millisecond}
			got := Run(context.Background(), check, Target{Exec: tc.exec})
			if got.Status != tc.want || !strings.Contains(got.Output, tc.output) {
				t.Errorf("got %s (%s), want %s containing %q", got.Status, got.Output, tc.want, tc.output)
			}
		})
	}
}

func TestWorst(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   []string
		want string
	}{
		{nil, structs.HealthPassing},
		{[]string{"passing", "warning"}, structs.HealthWarning},
		{[]string{"warning", "critical", "passing"}, structs.HealthCritical},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.in, ","), func(t *testing.T) {
			if got := Worst(tc.in...); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
