package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Result is the outcome of one run of a check.
type Result struct {
	Status string
	// Output says why, for logs and the user: the HTTP status line, the
	// dial error, the script's output.
	Output string
}

// ExecFunc runs a script check's command inside its task and returns its
// combined output and exit code. err means the command could not run.
type ExecFunc func(ctx context.Context, command string, args []string) (output []byte, exitCode int, err error)

// Target is where a check runs.
type Target struct {
	Address string
	Port    int
	// Exec runs script checks; nil makes them critical.
	Exec ExecFunc
}

// maxOutput bounds what is kept of a response body or script output.
const maxOutput = 4 << 10

// Run runs check once against t, within the check's timeout.
func Run(ctx context.Context, check *structs.ServiceCheck, t Target) Result {
	timeout := check.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch check.Type {
	case structs.ServiceCheckHTTP:
		return runHTTP(ctx, check, t)
	case structs.ServiceCheckTCP:
		return runTCP(ctx, t)
	case structs.ServiceCheckGRPC:
		return runGRPC(ctx, check, t)
	case structs.ServiceCheckScript:
		return runScript(ctx, check, t)
	}
	return Result{Status: structs.HealthCritical, Output: fmt.Sprintf("unknown check type %q", check.Type)}
}

func critical(format string, args ...interface{}) Result {
	return Result{Status: structs.HealthCritical, Output: fmt.Sprintf(format, args...)}
}

func hostPort(t Target) string { return net.JoinHostPort(t.Address, strconv.Itoa(t.Port)) }

// runHTTP passes on an expected status (any 2xx when none is listed), is
// a warning on 429 as Consul's, and critical otherwise.
func runHTTP(ctx context.Context, check *structs.ServiceCheck, t Target) Result {
	scheme := check.Protocol
	if scheme == "" {
		scheme = "http"
	}
	path := check.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	method := check.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, scheme+"://"+hostPort(t)+path, nil)
	if err != nil {
		return critical("bad check request: %v", err)
	}
	for k, vs := range check.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if host := req.Header.Get("Host"); host != "" {
		req.Host = host
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: check.TLSSkipVerify}, //nolint:gosec // the user asked for it
		DisableKeepAlives: true,
	}}
	resp, err := client.Do(req)
	if err != nil {
		return critical("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	out := fmt.Sprintf("HTTP %s %s: %s Output: %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if len(check.ExpectedStatus) > 0 {
		ok = slices.Contains(check.ExpectedStatus, resp.StatusCode)
	}
	switch {
	case ok:
		return Result{Status: structs.HealthPassing, Output: out}
	case resp.StatusCode == http.StatusTooManyRequests:
		return Result{Status: structs.HealthWarning, Output: out}
	}
	return Result{Status: structs.HealthCritical, Output: out}
}

func runTCP(ctx context.Context, t Target) Result {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort(t))
	if err != nil {
		return critical("TCP connect %s: %v", hostPort(t), err)
	}
	_ = conn.Close()
	return Result{Status: structs.HealthPassing, Output: "TCP connect " + hostPort(t) + ": Success"}
}

// runGRPC asks the standard grpc.health.v1 Health service.
func runGRPC(ctx context.Context, check *structs.ServiceCheck, t Target) Result {
	creds := insecure.NewCredentials()
	if check.GRPCUseTLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: check.TLSSkipVerify}) //nolint:gosec // the user asked for it
	}
	conn, err := grpc.NewClient(hostPort(t), grpc.WithTransportCredentials(creds))
	if err != nil {
		return critical("gRPC %s: %v", hostPort(t), err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: check.GRPCService})
	if err != nil {
		return critical("gRPC health %s %q: %v", hostPort(t), check.GRPCService, err)
	}
	out := fmt.Sprintf("gRPC health %s %q: %s", hostPort(t), check.GRPCService, resp.GetStatus())
	if resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
		return Result{Status: structs.HealthPassing, Output: out}
	}
	return Result{Status: structs.HealthCritical, Output: out}
}

// runScript maps the exit code as Consul and Nomad do: 0 passing, 1
// warning, anything else critical.
func runScript(ctx context.Context, check *structs.ServiceCheck, t Target) Result {
	if t.Exec == nil {
		return critical("script checks are not supported for this task's driver")
	}
	out, code, err := t.Exec(ctx, check.Command, check.Args)
	if len(out) > maxOutput {
		out = out[:maxOutput]
	}
	text := strings.TrimSpace(string(out))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return critical("script %q timed out after %s", check.Command, check.Timeout)
	case err != nil:
		return critical("script %q: %v", check.Command, err)
	case code == 0:
		return Result{Status: structs.HealthPassing, Output: text}
	case code == 1:
		return Result{Status: structs.HealthWarning, Output: text}
	}
	return Result{Status: structs.HealthCritical, Output: fmt.Sprintf("exit code %d: %s", code, text)}
}

// Worst returns the worst of statuses: critical over warning over
// passing; passing for none.
func Worst(statuses ...string) string {
	worst := structs.HealthPassing
	for _, s := range statuses {
		switch {
		case s == structs.HealthCritical:
			return structs.HealthCritical
		case s == structs.HealthWarning:
			worst = structs.HealthWarning
		}
	}
	return worst
}
