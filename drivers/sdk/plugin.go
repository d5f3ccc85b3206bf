package sdk

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/orch-dev/orch/drivers/sdk/proto"
)

// PluginName is the key under which a driver is dispensed from a plugin
// process; one process serves exactly one driver.
const PluginName = "driver"

// Handshake is shared by orch and every driver plugin. go-plugin refuses to
// start a binary whose cookie does not match, which keeps a user who runs a
// plugin by hand from getting a hung process instead of an explanation.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ORCH_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "5b0c7e1f2a9d4e63b8f1c0d27a6e94c3",
}

// PluginSet is what both sides of go-plugin must agree on: the one plugin a
// driver process serves.
func PluginSet(impl Driver) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &DriverPlugin{Impl: impl}}
}

// DriverPlugin is the go-plugin binding of a Driver over gRPC. Impl is set
// on the plugin side and nil on the client side.
type DriverPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Driver
}

var _ plugin.GRPCPlugin = (*DriverPlugin)(nil)

// GRPCServer registers the driver service on the plugin's gRPC server.
func (p *DriverPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("driver plugin: no driver implementation to serve")
	}
	proto.RegisterDriverServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient returns a Driver that forwards every call over conn.
func (p *DriverPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return NewGRPCClient(conn), nil
}

// Serve runs d as a plugin process until the client kills it. It is the
// whole main() of a plugin: it prints go-plugin's handshake line on stdout,
// so nothing else may write there. The logger should write JSON to stderr
// (see PluginLogger) so go-plugin relays each line to the agent's log with
// its level and fields intact.
func Serve(d Driver, logger hclog.Logger) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginSet(d),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// PluginLogger is the logger a plugin process should use: JSON lines on
// stderr, which the agent-side go-plugin client parses and re-logs.
func PluginLogger(name string, level hclog.Level) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      level,
		JSONFormat: true,
		Output:     os.Stderr,
	})
}
