package client

import (
	"strings"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// initialFingerprintTimeout bounds how long registration waits for the
// drivers' first fingerprints; a slow driver joins the node later.
const initialFingerprintTimeout = 5 * time.Second

// startDriverFingerprints follows each driver's fingerprint stream, and
// closes driversSeen once every driver reported once.
func (c *Client) startDriverFingerprints() {
	first := make(chan string, len(c.cfg.Drivers))
	for name, drv := range c.cfg.Drivers {
		c.goRun(func() { c.followDriver(name, drv, first) })
	}
	c.goRun(func() {
		for range c.cfg.Drivers {
			select {
			case <-first:
			case <-c.ctx.Done():
				return
			}
		}
		close(c.driversSeen)
	})
}

func (c *Client) followDriver(name string, drv sdk.Driver, first chan<- string) {
	logger := c.logger.With("driver", name)
	reported := false
	report := func(fp *sdk.Fingerprint) {
		changed := c.applyDriverFingerprint(name, fp)
		if !reported {
			reported = true
			first <- name
			return
		}
		if changed {
			logger.Info("driver health changed", "health", fp.Health, "description", fp.HealthDescription)
			c.signalNodeChanged()
		}
	}
	ch, err := drv.Fingerprint(c.ctx)
	if err != nil {
		logger.Error("driver fingerprint failed", "error", err)
		report(&sdk.Fingerprint{Health: sdk.HealthStateUndetected, HealthDescription: "fingerprint failed: " + err.Error()})
		return
	}
	for fp := range ch {
		report(fp)
	}
	if c.ctx.Err() == nil {
		// The stream ended without our asking: the plugin is gone.
		report(&sdk.Fingerprint{Health: sdk.HealthStateUnhealthy, HealthDescription: "driver stopped reporting"})
	}
}

// applyDriverFingerprint records a driver's report on the node and says
// whether what the scheduler sees changed. Only a healthy driver keeps its
// driver.<name> attributes, so nothing is placed on a broken one.
func (c *Client) applyDriverFingerprint(name string, fp *sdk.Fingerprint) bool {
	info := &structs.DriverInfo{
		Attributes:        fp.Attributes,
		Detected:          fp.Health != sdk.HealthStateUndetected,
		Healthy:           fp.Health == sdk.HealthStateHealthy,
		HealthDescription: fp.HealthDescription,
		UpdateTime:        time.Now(),
	}
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	old := c.node.Drivers[name]
	c.node.Drivers[name] = info
	prefix := "driver." + name
	for k := range c.node.Attributes {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			delete(c.node.Attributes, k)
		}
	}
	if info.Healthy {
		for k, v := range fp.Attributes {
			c.node.Attributes[k] = v
		}
	}
	return old == nil || old.Detected != info.Detected || old.Healthy != info.Healthy ||
		old.HealthDescription != info.HealthDescription
}

func (c *Client) signalNodeChanged() {
	select {
	case c.nodeChanged <- struct{}{}:
	default:
	}
}

func (c *Client) waitInitialFingerprints() {
	t := time.NewTimer(initialFingerprintTimeout)
	defer t.Stop()
	select {
	case <-c.driversSeen:
	case <-t.C:
		c.logger.Warn("registering before every driver fingerprinted", "waited", initialFingerprintTimeout)
	case <-c.ctx.Done():
	}
}

// isNotFound tells a server's "not found" apart from other failures; the
// sentinel crosses the wire as text, so compare the message too.
func isNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), structs.ErrNotFound.Error())
}
