package command

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/command/agent"
	"github.com/orch-dev/orch/nomadlike/structs"
)

type stubServer struct{ shutdown chan struct{} }

func (s *stubServer) RPC(method string, args, reply interface{}) error {
	if method == structs.StatusLeaderRPC {
		reply.(*structs.StatusLeaderResponse).Leader = "127.0.0.1:4647"
	}
	return nil
}
func (s *stubServer) Leader() string  { return "127.0.0.1:4647" }
func (s *stubServer) Shutdown() error { close(s.shutdown); return nil }

type stubClient struct{}

func (stubClient) NodeID() string { return "n1" }
func (stubClient) StreamLogs(context.Context, string, string, string, string, int64, bool, io.Writer) error {
	return nil
}
func (stubClient) Shutdown() error { return nil }

func (stubClient) Ready() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func TestAgentCommand_RunsUntilSignal(t *testing.T) {
	srv := &stubServer{shutdown: make(chan struct{})}
	ui := newUi()
	started := make(chan *agent.Agent, 1)
	sigs := make(chan os.Signal, 1)
	cmd := &AgentCommand{Meta: Meta{Ui: ui}, signals: sigs, started: started, backends: &agent.Backends{
		NewServer: func(*agent.Config, hclog.Logger) (agent.ServerBackend, error) { return srv, nil },
		NewClient: func(*agent.Config, hclog.Logger, structs.RPCer) (agent.ClientBackend, error) {
			return stubClient{}, nil
		},
	}}
	done := make(chan int, 1)
	go func() {
		done <- cmd.Run([]string{"-dev", "-http-port", "0", "-rpc-port", "0", "-serf-port", "0", "-log-level", "error"})
	}()
	a := <-started
	c, err := api.NewClient(&api.Config{Address: a.HTTPAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := c.Agent().Health(); err != nil || !h.Server.Ok || !h.Client.Ok {
		t.Fatalf("health %+v (%v)", h, err)
	}
	sigs <- os.Interrupt
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	select {
	case <-srv.shutdown:
	default:
		t.Fatal("the server was not shut down")
	}
	assertContains(t, ui.OutputWriter.String(), "==> orch agent started!", "==> Caught signal: interrupt")
}

func TestAgentCommand_BadConfig(t *testing.T) {
	ui := newUi()
	if code := (&AgentCommand{Meta: Meta{Ui: ui}}).Run([]string{"-http-port", "x"}); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(ui.ErrorWriter.String(), "Error loading agent configuration") {
		t.Fatalf("stderr %q", ui.ErrorWriter)
	}
}

func TestRunCustom_Version(t *testing.T) {
	ui := newUi()
	if code := RunCustom([]string{"version"}, ui, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertContains(t, ui.OutputWriter.String(), "orch v"+agent.Version)
}

// TestAgentCommand_BannerShowsAdvertisedAddrs checks the banner's
// "Advertise Addrs" against the bind address it used to repeat.
func TestAgentCommand_BannerShowsAdvertisedAddrs(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(cfgFile, []byte("advertise {\n  http = \"10.9.8.7\"\n  rpc = \"10.9.8.6\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := &stubServer{shutdown: make(chan struct{})}
	ui := newUi()
	started := make(chan *agent.Agent, 1)
	sigs := make(chan os.Signal, 1)
	cmd := &AgentCommand{Meta: Meta{Ui: ui}, signals: sigs, started: started, backends: &agent.Backends{
		NewServer: func(*agent.Config, hclog.Logger) (agent.ServerBackend, error) { return srv, nil },
		NewClient: func(*agent.Config, hclog.Logger, structs.RPCer) (agent.ClientBackend, error) {
			return stubClient{}, nil
		},
	}}
	done := make(chan int, 1)
	go func() {
		done <- cmd.Run([]string{"-dev", "-config", cfgFile, "-http-port", "0", "-rpc-port", "4999", "-serf-port", "0", "-log-level", "error"})
	}()
	a := <-started
	sigs <- os.Interrupt
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	_, port, _ := net.SplitHostPort(a.HTTPAddr().String())
	assertContains(t, ui.OutputWriter.String(),
		"Advertise Addrs: HTTP: 10.9.8.7:"+port+"; RPC: 10.9.8.6:4999",
		"Bind Addrs: HTTP: 127.0.0.1:"+port)
}

func TestAdvertisedHTTPAddr(t *testing.T) {
	cases := []struct {
		name, advertise, bound string
		check                  func(string) bool
	}{
		{"advertise.http with the bound port", "10.0.0.9", "127.0.0.1:31000", func(s string) bool { return s == "10.0.0.9:31000" }},
		{"a specific bind address as is", "", "192.168.1.5:4646", func(s string) bool { return s == "192.168.1.5:4646" }},
		{"0.0.0.0 is never advertised", "", "0.0.0.0:4646", func(s string) bool {
			host, port, err := net.SplitHostPort(s)
			return err == nil && port == "4646" && !net.ParseIP(host).IsUnspecified()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := agent.DefaultConfig()
			cfg.Advertise.HTTP = tc.advertise
			if got := advertisedHTTPAddr(cfg, tc.bound); !tc.check(got) {
				t.Fatalf("advertisedHTTPAddr(%q) = %q", tc.bound, got)
			}
		})
	}
}
