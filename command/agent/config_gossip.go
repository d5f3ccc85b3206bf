package agent

import (
	"fmt"
	"time"

	"github.com/orch-dev/orch/nomadlike"
)

// AutopilotConfig is the autopilot block: how the leader cleans up
// servers that died.
type AutopilotConfig struct {
	// CleanupDeadServers removes a failed server from Raft once it has
	// been failed for DeadServerCleanupThreshold (default true).
	CleanupDeadServers bool
	// DeadServerCleanupThreshold is that grace period; 0 means the
	// server's default (30s).
	DeadServerCleanupThreshold time.Duration
}

type fileAutopilot struct {
	CleanupDeadServers *bool `hcl:"cleanup_dead_servers,optional"`
	// DeadServerCleanupThreshold is a duration such as "30s".
	DeadServerCleanupThreshold *string `hcl:"dead_server_cleanup_threshold,optional"`
}

// mergeGossip applies a file's gossip settings: the server block's
// encrypt and join retries (also accepted in server_join, as Nomad does),
// leave_on_interrupt / leave_on_terminate and the autopilot block.
func (c *Config) mergeGossip(f *fileConfig) error {
	set(&c.LeaveOnInterrupt, f.LeaveOnInterrupt)
	set(&c.LeaveOnTerm, f.LeaveOnTerm)
	if a := f.Autopilot; a != nil {
		set(&c.Autopilot.CleanupDeadServers, a.CleanupDeadServers)
		if err := setDuration(&c.Autopilot.DeadServerCleanupThreshold, "autopilot.dead_server_cleanup_threshold", a.DeadServerCleanupThreshold); err != nil {
			return err
		}
	}
	s := f.Server
	if s == nil {
		return nil
	}
	set(&c.Server.Encrypt, s.Encrypt)
	set(&c.Server.RetryMax, s.RetryMax)
	if err := setDuration(&c.Server.RetryInterval, "server.retry_interval", s.RetryInterval); err != nil {
		return err
	}
	if j := s.ServerJoin; j != nil {
		set(&c.Server.RetryMax, j.RetryMax)
		if err := setDuration(&c.Server.RetryInterval, "server.server_join.retry_interval", j.RetryInterval); err != nil {
			return err
		}
	}
	return nil
}

// setDuration parses a positive duration setting when the file sets it.
func setDuration(dst *time.Duration, name string, v *string) error {
	if v == nil {
		return nil
	}
	d, err := time.ParseDuration(*v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s %q: want a positive duration such as \"30s\"", name, *v)
	}
	*dst = d
	return nil
}

// validateGossip checks the gossip settings; add records each problem.
func (c *Config) validateGossip(add func(format string, args ...interface{})) {
	if c.Server.Encrypt != "" {
		if _, err := nomadlike.DecodeGossipKey(c.Server.Encrypt); err != nil {
			add("server.encrypt is invalid: %v (generate one with `openssl rand -base64 32`)", err)
		}
	}
	if c.Server.RetryMax < 0 {
		add("server.retry_max %d is invalid: must be 0 (retry until joined) or more", c.Server.RetryMax)
	}
	if c.Server.RetryInterval < 0 {
		add("server.retry_interval %s is invalid: must be a positive duration", c.Server.RetryInterval)
	}
}
