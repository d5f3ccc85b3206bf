package catalog

import (
	"fmt"
	"net"

	"github.com/hashicorp/go-plugin"
)

// ReattachState is a plugin.ReattachConfig in a form that survives JSON or
// msgpack, for the client's state database: net.Addr is an interface and
// does not.
type ReattachState struct {
	Pid             int
	Network         string
	Addr            string
	Protocol        string
	ProtocolVersion int
	// StartTime is the plugin process's start in clock ticks after boot
	// (/proc/<pid>/stat); with Pid it tells our plugin from an unrelated
	// process that got the same pid after a reboot or a long downtime.
	StartTime uint64
	// Path is the executable of a third-party plugin from plugin_dir;
	// empty for built-in drivers.
	Path string
}

// NewReattachState captures rc for persistence.
func NewReattachState(rc *plugin.ReattachConfig) *ReattachState {
	if rc == nil {
		return nil
	}
	s := &ReattachState{
		Pid:             rc.Pid,
		Protocol:        string(rc.Protocol),
		ProtocolVersion: rc.ProtocolVersion,
	}
	if rc.Addr != nil {
		s.Network, s.Addr = rc.Addr.Network(), rc.Addr.String()
	}
	return s
}

// Config rebuilds the go-plugin reattach config.
func (s *ReattachState) Config() (*plugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch s.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr(s.Network, s.Addr)
	case "tcp", "tcp4", "tcp6":
		addr, err = net.ResolveTCPAddr(s.Network, s.Addr)
	default:
		return nil, fmt.Errorf("reattach state: network %q; valid: unix, tcp", s.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("reattach state: address %q: %w", s.Addr, err)
	}
	if s.Pid <= 0 {
		return nil, fmt.Errorf("reattach state: invalid pid %d", s.Pid)
	}
	return &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(s.Protocol),
		ProtocolVersion: s.ProtocolVersion,
		Addr:            addr,
		Pid:             s.Pid,
	}, nil
}
