package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	drivertest.NoRaceLinger()
	os.Exit(m.Run())
}

func TestBuiltin(t *testing.T) {
	t.Parallel()
	names := catalog.Builtin()
	if !slices.Contains(names, "raw_exec") || !slices.IsSorted(names) {
		t.Errorf("Builtin() = %v, want a sorted list with raw_exec", names)
	}
	for _, n := range names {
		if _, err := catalog.NewInProcess(n, hclog.NewNullLogger()); err != nil {
			t.Errorf("NewInProcess(%q): %v", n, err)
		}
		if spec, err := catalog.ConfigSpec(n); err != nil || len(spec) == 0 {
			t.Errorf("ConfigSpec(%q) = %v, %v; want a schema", n, spec, err)
		}
	}
}

func TestUnknownDriver(t *testing.T) {
	t.Parallel()
	calls := map[string]func() error{
		"Launch":             func() error { _, err := catalog.Launch("rawexec", hclog.NewNullLogger()); return err },
		"Reattach":           func() error { _, err := catalog.Reattach("rawexec", nil, hclog.NewNullLogger()); return err },
		"NewInProcess":       func() error { _, err := catalog.NewInProcess("rawexec", hclog.NewNullLogger()); return err },
		"ValidateTaskConfig": func() error { return catalog.ValidateTaskConfig("rawexec", nil) },
		"ConfigSpec":         func() error { _, err := catalog.ConfigSpec("rawexec"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := call()
			if !errors.Is(err, catalog.ErrUnknownDriver) || !strings.Contains(err.Error(), "built-in drivers: "+strings.Join(catalog.Builtin(), ", ")) {
				t.Errorf("%s(rawexec) = %v, want ErrUnknownDriver naming the built-in drivers", name, err)
			}
		})
	}
}

func TestValidateTaskConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		config  map[string]interface{}
		wantErr string
	}{
		{name: "valid", config: map[string]interface{}{"command": "sleep", "args": []interface{}{"1"}}},
		{name: "misspelt key", config: map[string]interface{}{"comand": "sleep"}, wantErr: `unknown config key "comand"; valid keys: args, command`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := catalog.ValidateTaskConfig("raw_exec", tc.config)
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("ValidateTaskConfig = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestLaunchAndReattach is what an agent restart looks like: a second
// client finds the running plugin from the persisted reattach state and
// sees the task the first one started.
func TestLaunchAndReattach(t *testing.T) {
	t.Parallel()
	inst, err := catalog.Launch("raw_exec", drivertest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inst.Kill)
	pid := inst.ReattachConfig.Pid
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if fields[2] != strconv.Itoa(pid) {
		t.Errorf("plugin pgrp = %s, want its own group %d so the agent's group signals miss it", fields[2], pid)
	}

	dir := t.TempDir()
	cfg := &sdk.TaskConfig{
		ID: "a1/web/1", Name: "web", TaskDir: dir,
		Config:     map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}},
		StdoutPath: filepath.Join(dir, "web.stdout"), StderrPath: filepath.Join(dir, "web.stderr"),
	}
	if _, err := inst.Driver.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Driver.DestroyTask(cfg.ID, true) })

	saved, err := json.Marshal(catalog.NewReattachState(inst.ReattachConfig))
	if err != nil {
		t.Fatal(err)
	}
	var state catalog.ReattachState
	if err := json.Unmarshal(saved, &state); err != nil {
		t.Fatal(err)
	}
	rc, err := state.Config()
	if err != nil {
		t.Fatalf("ReattachState.Config: %v", err)
	}
	again, err := catalog.Reattach("raw_exec", rc, drivertest.Logger(t))
	if err != nil {
		t.Fatalf("Reattach: %v", err)
	}
	st, err := again.Driver.InspectTask(cfg.ID)
	if err != nil || st.State != sdk.TaskStateRunning {
		t.Fatalf("InspectTask through the reattached client = %+v, %v; want running", st, err)
	}
	if err := again.Driver.StopTask(cfg.ID, 5*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if st, err := inst.Driver.InspectTask(cfg.ID); err != nil || st.State != sdk.TaskStateExited {
		t.Errorf("first client sees %+v, %v; want the task exited", st, err)
	}
}

func TestReattachStateErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		state catalog.ReattachState
		want  string
	}{
		{name: "unknown network", state: catalog.ReattachState{Pid: 1, Network: "udp", Addr: "x"}, want: `network "udp"`},
		{name: "bad tcp address", state: catalog.ReattachState{Pid: 1, Network: "tcp", Addr: "nope"}, want: `address "nope"`},
		{name: "no pid", state: catalog.ReattachState{Network: "unix", Addr: "/tmp/x"}, want: "invalid pid 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tc.state.Config(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Config() = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

// TestPluginRefusesToRunByHand: the re-executed binary serves only when
// the agent's handshake cookie is present, and only drivers it knows.
func TestPluginRefusesToRunByHand(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{name: "no handshake cookie", env: []string{catalog.EnvPlugin + "=raw_exec"}, want: "This binary is a plugin"},
		{name: "unknown driver", env: []string{catalog.EnvPlugin + "=nope"}, want: `driver \"nope\": unknown driver`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(exe)
			cmd.Env = append(tc.env, "PATH="+os.Getenv("PATH"), "GORACE="+os.Getenv("GORACE"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).ExitStatus() == 0 {
				t.Fatalf("run = %v, want a non-zero exit", err)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.want)
			}
		})
	}
}
