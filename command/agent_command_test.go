package command

import (
	"context"
	"io"
	"os"
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
