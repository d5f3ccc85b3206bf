package client

import (
	"math/rand/v2"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

const (
	// defaultHeartbeatTTL is assumed when a server answers without a TTL.
	defaultHeartbeatTTL = 10 * time.Second
	// Retry bounds for failed RPCs: quick first retries so a dev agent's
	// client joins as soon as its server has a leader, capped so a long
	// outage does not hammer the servers.
	retryMin = 250 * time.Millisecond
	retryMax = 30 * time.Second
)

// registerAndHeartbeat registers the node, marks it ready, then keeps it
// alive until shutdown. Failures are logged and retried, never fatal.
func (c *Client) registerAndHeartbeat() {
	c.waitInitialFingerprints()
	if _, ok := c.retry("register node", c.register); !ok {
		return
	}
	ttl, ok := c.retry("mark node ready", c.heartbeat)
	if !ok {
		return
	}
	c.nodeMu.Lock()
	c.node.Status, c.node.StatusUpdatedAt = structs.NodeStatusReady, time.Now().Unix()
	c.nodeMu.Unlock()
	c.logger.Info("node registered and ready", "node_id", c.NodeID(), "heartbeat_ttl", ttl)
	c.readyOnce.Do(func() { close(c.readyCh) })
	c.goRun(c.watchAllocations)

	bo := newBackoff(retryMin, retryMax)
	wait := heartbeatWait(ttl)
	for {
		timer := time.NewTimer(wait)
		var err error
		select {
		case <-c.ctx.Done():
			timer.Stop()
			return
		case <-c.nodeChanged:
			timer.Stop()
			ttl, err = c.register()
			if err != nil {
				c.signalNodeChanged() // retry the registration, not just a heartbeat
			}
		case <-timer.C:
			ttl, err = c.heartbeat()
			if isNotFound(err) {
				// The servers forgot the node (a dev server restarted):
				// register it again rather than heartbeat into the void.
				c.logger.Warn("servers do not know the node, registering again")
				ttl, err = c.register()
			}
		}
		if err != nil {
			wait = bo.next()
			c.logger.Error("node heartbeat failed, retrying", "error", err, "retry_in", wait)
			continue
		}
		bo.reset()
		wait = heartbeatWait(ttl)
	}
}

// retry calls fn until it succeeds or the client shuts down.
func (c *Client) retry(what string, fn func() (time.Duration, error)) (time.Duration, bool) {
	bo := newBackoff(retryMin, retryMax)
	for {
		ttl, err := fn()
		if err == nil {
			return ttl, true
		}
		wait := bo.next()
		c.logger.Error("failed to "+what+", retrying", "error", err, "retry_in", wait)
		if !sleepCtx(c.ctx, wait) {
			return 0, false
		}
	}
}

// heartbeatWait is when to heartbeat next: about half the TTL, jittered so
// a fleet spreads its heartbeats, and always well before the TTL.
func heartbeatWait(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = defaultHeartbeatTTL
	}
	half := ttl / 2
	return half - rand.N(ttl/10+1)
}

func (c *Client) register() (time.Duration, error) {
	req := &structs.NodeRegisterRequest{Node: c.Node(), WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
	var resp structs.NodeUpdateResponse
	if err := c.rpc.RPC(structs.NodeRegisterRPC, req, &resp); err != nil {
		return 0, err
	}
	c.updateServers(resp.Servers)
	return resp.HeartbeatTTL, nil
}

func (c *Client) heartbeat() (time.Duration, error) {
	c.nodeMu.Lock()
	req := &structs.NodeUpdateStatusRequest{
		NodeID:       c.node.ID,
		SecretID:     c.node.SecretID,
		Status:       structs.NodeStatusReady,
		UpdatedAt:    time.Now().Unix(),
		WriteRequest: structs.WriteRequest{Region: c.cfg.Region},
	}
	c.nodeMu.Unlock()
	var resp structs.NodeUpdateResponse
	if err := c.rpc.RPC(structs.NodeUpdateStatusRPC, req, &resp); err != nil {
		return 0, err
	}
	c.updateServers(resp.Servers)
	return resp.HeartbeatTTL, nil
}
