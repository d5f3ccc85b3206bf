package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/orch-dev/orch/drivers/sdk"
)

// fakeDriver records what crosses the boundary and lets a test decide
// when streams produce values. Only the methods a test sets up behave;
// the rest report an error.
type fakeDriver struct {
	mu        sync.Mutex
	started   *sdk.TaskConfig
	recovered *sdk.TaskHandle
	plugin    *sdk.PluginConfig

	exit       chan *sdk.ExitResult   // WaitTask yields what is sent here
	serverDone chan struct{}          // closed when a stream's ctx ends
	prints     []*sdk.Fingerprint     // Fingerprint sends these, then waits
	usage      *sdk.TaskResourceUsage // TaskStats sends this once
	status     *sdk.TaskStatus        // InspectTask returns this
	err        error                  // returned by every task call if set
	stopArgs   func(time.Duration, string)
}

func newFake() *fakeDriver {
	return &fakeDriver{exit: make(chan *sdk.ExitResult, 1), serverDone: make(chan struct{})}
}

func (f *fakeDriver) PluginInfo() (*sdk.PluginInfo, error) {
	return &sdk.PluginInfo{Name: "fake", Version: "9.9"}, nil
}

func (f *fakeDriver) SetConfig(cfg *sdk.PluginConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plugin = cfg
	return nil
}

// streamEnded reports the end of a server-side stream context.
func (f *fakeDriver) streamEnded(ctx context.Context) {
	go func() {
		<-ctx.Done()
		close(f.serverDone)
	}()
}

func (f *fakeDriver) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	ch := make(chan *sdk.Fingerprint)
	f.streamEnded(ctx)
	go func() {
		defer close(ch)
		for _, p := range f.prints {
			select {
			case ch <- p:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return ch, nil
}

func (f *fakeDriver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	f.started = cfg
	f.mu.Unlock()
	return &sdk.TaskHandle{Version: 3, Config: cfg, State: sdk.TaskStateRunning, DriverState: []byte{0, 1, 2, 255}}, nil
}

func (f *fakeDriver) WaitTask(ctx context.Context, taskID string) (<-chan *sdk.ExitResult, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.streamEnded(ctx)
	out := make(chan *sdk.ExitResult, 1)
	go func() {
		defer close(out)
		select {
		case r := <-f.exit:
			out <- r
		case <-ctx.Done():
		}
	}()
	return out, nil
}

func (f *fakeDriver) StopTask(taskID string, timeout time.Duration, signal string) error {
	if f.stopArgs != nil {
		f.stopArgs(timeout, signal)
	}
	return f.err
}

func (f *fakeDriver) DestroyTask(string, bool) error { return f.err }

func (f *fakeDriver) InspectTask(string) (*sdk.TaskStatus, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.status, nil
}

func (f *fakeDriver) TaskStats(ctx context.Context, _ string, _ time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	if f.err != nil {
		return nil, f.err
	}
	ch := make(chan *sdk.TaskResourceUsage, 1)
	ch <- f.usage
	close(ch)
	return ch, nil
}

func (f *fakeDriver) SignalTask(string, string) error { return f.err }

func (f *fakeDriver) RecoverTask(h *sdk.TaskHandle) error {
	f.mu.Lock()
	f.recovered = h
	f.mu.Unlock()
	return f.err
}

// connect serves f through an in-memory go-plugin gRPC connection and
// returns the client side, as the agent would get it from Dispense.
func connect(t *testing.T, f *fakeDriver) (sdk.Driver, *plugin.GRPCServer) {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, sdk.PluginSet(f))
	// Close asks the server to stop; stopping it here too would race inside
	// go-plugin.
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(sdk.Driver), server
}

func TestTaskConfigCrossesIntact(t *testing.T) {
	t.Parallel()
	f := newFake()
	d, _ := connect(t, f)
	cfg := &sdk.TaskConfig{
		ID: "a/web/1", JobName: "j", TaskGroup: "g", Name: "web", AllocID: "a", Namespace: "default",
		Env:  map[string]string{"A": "1", "EMPTY": ""},
		User: "nobody",
		Config: map[string]interface{}{
			"command": "sleep",
			"args":    []interface{}{"1", int64(-2), 1.5, true},
			"port":    int64(8080),
			"nested":  map[string]interface{}{"deep": map[string]interface{}{"k": "v"}},
		},
		Resources: &sdk.Resources{CPUShares: 500, MemoryMB: 256, MemoryMaxMB: 512, DiskMB: 10},
		AllocDir:  "/a", TaskDir: "/a/web", StdoutPath: "/a/logs/web.stdout", StderrPath: "/a/logs/web.stderr",
		LogMaxFiles: 3, LogMaxFileSizeMB: 4, LogDisabled: true,
		Ports: []sdk.PortMapping{{Label: "http", Value: 23456, To: 8080, HostIP: "127.0.0.1"}, {Label: "db", Value: 5432}},
		Mounts: []sdk.MountConfig{
			{TaskPath: "/srv/data", HostPath: "/mnt/data", PropagationMode: "private"},
			{TaskPath: "/etc/certs", HostPath: "/etc/ssl/certs", Readonly: true},
		},
	}
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.started, cfg) {
		t.Errorf("driver received\n%#v\nwant\n%#v", f.started, cfg)
	}
	want := &sdk.TaskHandle{Version: 3, Config: cfg, State: sdk.TaskStateRunning, DriverState: []byte{0, 1, 2, 255}}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("handle = %#v, want %#v", h, want)
	}
	if err := d.RecoverTask(h); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.recovered, want) {
		t.Errorf("recovered handle = %#v, want %#v", f.recovered, want)
	}

	if err := d.SetConfig(&sdk.PluginConfig{Config: map[string]interface{}{"enabled": false}, DevMode: true}); err != nil {
		t.Fatal(err)
	}
	if w := (&sdk.PluginConfig{Config: map[string]interface{}{"enabled": false}, DevMode: true}); !reflect.DeepEqual(f.plugin, w) {
		t.Errorf("plugin config = %#v, want %#v", f.plugin, w)
	}
	info, err := d.PluginInfo()
	if err != nil || *info != (sdk.PluginInfo{Name: "fake", Version: "9.9"}) {
		t.Errorf("PluginInfo = %+v, %v", info, err)
	}
}

func TestErrorsCrossIntact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		err          error
		wantNotFound bool
	}{
		{name: "not found keeps its kind", err: fmt.Errorf("fake: task %q: %w", "x", sdk.ErrTaskNotFound), wantNotFound: true},
		{name: "driver error keeps its message", err: errors.New(`fake: unknown config key "comand"; valid keys: command`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			f.err = tc.err
			d, _ := connect(t, f)
			_, startErr := d.StartTask(&sdk.TaskConfig{ID: "x"})
			_, waitErr := d.WaitTask(context.Background(), "x")
			_, statsErr := d.TaskStats(context.Background(), "x", time.Second)
			for name, err := range map[string]error{
				"StartTask": startErr, "WaitTask": waitErr, "TaskStats": statsErr,
				"StopTask": d.StopTask("x", 0, ""), "SignalTask": d.SignalTask("x", "HUP"),
			} {
				if err == nil || err.Error() != tc.err.Error() {
					t.Errorf("%s error = %v, want %q", name, err, tc.err)
				}
				if errors.Is(err, sdk.ErrTaskNotFound) != tc.wantNotFound {
					t.Errorf("%s: errors.Is(ErrTaskNotFound) = %v, want %v", name, !tc.wantNotFound, tc.wantNotFound)
				}
			}
		})
	}
}

func TestWaitTask(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		send   *sdk.ExitResult
		cancel bool
		want   *sdk.ExitResult
	}{
		{name: "exit code and signal", send: &sdk.ExitResult{ExitCode: 137, Signal: 9, OOMKilled: true}, want: &sdk.ExitResult{ExitCode: 137, Signal: 9, OOMKilled: true}},
		{name: "driver error", send: &sdk.ExitResult{ExitCode: -1, Err: errors.New("lost it")}, want: &sdk.ExitResult{ExitCode: -1, Err: errors.New("lost it")}},
		{name: "cancel closes without a result", cancel: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			d, _ := connect(t, f)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := d.WaitTask(ctx, "x")
			if err != nil {
				t.Fatal(err)
			}
			if tc.cancel {
				cancel()
			} else {
				f.exit <- tc.send
			}
			got, ok := <-ch
			if tc.cancel {
				if ok {
					t.Fatalf("got %+v after cancel, want a closed channel", got)
				}
				select {
				case <-f.serverDone:
				case <-time.After(5 * time.Second):
					t.Fatal("cancel did not reach the driver's stream context")
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("result = %+v (ok=%v), want %+v", got, ok, tc.want)
			}
			if _, ok := <-ch; ok {
				t.Error("channel yielded a second value")
			}
		})
	}
}

func TestWaitTaskPluginGone(t *testing.T) {
	t.Parallel()
	f := newFake()
	d, server := connect(t, f)
	ch, err := d.WaitTask(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	server.Stop()
	select {
	case got := <-ch:
		if got == nil || got.Err == nil || got.Successful() {
			t.Errorf("result = %+v, want an error saying the task's fate is unknown", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitTask did not notice the plugin going away")
	}
}

func TestFingerprintStream(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.prints = []*sdk.Fingerprint{
		{Health: sdk.HealthStateHealthy, HealthDescription: "ok", Attributes: map[string]string{"driver.fake": "1"}},
		{Health: sdk.HealthStateUnhealthy, HealthDescription: "daemon down"},
	}
	d, _ := connect(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := d.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range f.prints {
		got := <-ch
		if got == nil || got.Health != want.Health || got.HealthDescription != want.HealthDescription ||
			len(got.Attributes) != len(want.Attributes) || got.Attributes["driver.fake"] != want.Attributes["driver.fake"] {
			t.Errorf("fingerprint %d = %+v, want %+v", i, got, want)
		}
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Error("fingerprint channel yielded after cancel, want it closed")
	}
	select {
	case <-f.serverDone:
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not reach the driver's stream context")
	}
}

func TestStatsInspectStop(t *testing.T) {
	t.Parallel()
	f := newFake()
	started := time.Unix(1700000000, 123)
	f.usage = &sdk.TaskResourceUsage{Timestamp: 42, CPUPercent: 12.5, CPUTotalMHz: 250, CPUUserMS: 10, CPUSystemMS: 20,
		MemoryRSS: 1 << 20, MemoryCache: 3, MemorySwap: 4, Pids: []int{7, 8}}
	f.status = &sdk.TaskStatus{ID: "x", Name: "web", State: sdk.TaskStateRunning, StartedAt: started}
	var gotTimeout time.Duration
	var gotSignal string
	f.stopArgs = func(d time.Duration, s string) { gotTimeout, gotSignal = d, s }
	d, _ := connect(t, f)

	ch, err := d.TaskStats(context.Background(), "x", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-ch; !reflect.DeepEqual(got, f.usage) {
		t.Errorf("usage = %+v, want %+v", got, f.usage)
	}
	if _, ok := <-ch; ok {
		t.Error("stats channel still open after the driver closed its stream")
	}

	st, err := d.InspectTask("x")
	if err != nil {
		t.Fatal(err)
	}
	if !st.StartedAt.Equal(started) || !st.CompletedAt.IsZero() || st.ExitResult != nil || st.State != sdk.TaskStateRunning {
		t.Errorf("status = %+v, want %+v", st, f.status)
	}

	if err := d.StopTask("x", 1500*time.Millisecond, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if gotTimeout != 1500*time.Millisecond || gotSignal != "SIGTERM" {
		t.Errorf("driver got stop(%s, %q), want (1.5s, SIGTERM)", gotTimeout, gotSignal)
	}
	if err := d.DestroyTask("x", true); err != nil {
		t.Fatal(err)
	}
}

// execFake adds ExecTask to the fake driver.
type execFake struct {
	*fakeDriver
	got []string
}

func (e *execFake) ExecTask(taskID string, cmd []string, timeout time.Duration) (*sdk.ExecTaskResult, error) {
	e.got = append([]string{taskID}, cmd...)
	if taskID == "gone" {
		return nil, sdk.ErrTaskNotFound
	}
	return &sdk.ExecTaskResult{Output: []byte("ok\n"), ExitCode: 2}, nil
}

func TestExecTaskCrossesIntact(t *testing.T) {
	t.Parallel()
	t.Run("driver with exec", func(t *testing.T) {
		ef := &execFake{fakeDriver: newFake()}
		client, _ := plugin.TestPluginGRPCConn(t, false, sdk.PluginSet(ef))
		t.Cleanup(func() { _ = client.Close() })
		raw, err := client.Dispense(sdk.PluginName)
		if err != nil {
			t.Fatal(err)
		}
		ed := raw.(sdk.ExecTaskDriver)
		res, err := ed.ExecTask("t1", []string{"/bin/check", "-q"}, time.Second)
		if err != nil || string(res.Output) != "ok\n" || res.ExitCode != 2 || strings.Join(ef.got, " ") != "t1 /bin/check -q" {
			t.Fatalf("ExecTask = %+v, %v (driver saw %v)", res, err, ef.got)
		}
		if _, err := ed.ExecTask("gone", []string{"x"}, time.Second); !errors.Is(err, sdk.ErrTaskNotFound) {
			t.Errorf("unknown task: %v, want ErrTaskNotFound", err)
		}
	})
	t.Run("driver without exec", func(t *testing.T) {
		d, _ := connect(t, newFake())
		if _, err := d.(sdk.ExecTaskDriver).ExecTask("t1", []string{"x"}, time.Second); !errors.Is(err, sdk.ErrExecNotSupported) {
			t.Errorf("got %v, want ErrExecNotSupported", err)
		}
	})
}
