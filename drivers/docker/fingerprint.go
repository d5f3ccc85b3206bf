package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/client"

	"github.com/orch-dev/orch/drivers/sdk"
)

// fingerprintTimeout bounds one health check of the engine.
const fingerprintTimeout = 5 * time.Second

// Fingerprint checks the engine at once and then every
// fingerprint_interval, sending a report whenever health, its reason or
// the engine version changed.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	if !d.enabled() {
		// Undetected rather than unhealthy: the operator chose this, and
		// the node must not advertise the driver to the scheduler.
		ch := make(chan *sdk.Fingerprint, 1)
		ch <- &sdk.Fingerprint{
			Health:            sdk.HealthStateUndetected,
			HealthDescription: `disabled in the agent's plugin "docker" config`,
		}
		go func() {
			<-ctx.Done()
			close(ch)
		}()
		return ch, nil
	}
	cli, pc, err := d.client()
	if err != nil {
		return nil, err
	}
	ch := make(chan *sdk.Fingerprint, 1)
	go func() {
		defer close(ch)
		t := time.NewTicker(pc.FingerprintInterval)
		defer t.Stop()
		var last *sdk.Fingerprint
		for {
			fp := d.fingerprintOnce(ctx, cli)
			if ctx.Err() != nil {
				return
			}
			if last == nil || !sameFingerprint(last, fp) {
				if last != nil {
					d.logger.Info("engine health changed", "health", fp.Health, "description", fp.HealthDescription)
				}
				select {
				case ch <- fp:
				case <-ctx.Done():
					return
				}
				last = fp
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch, nil
}

func (d *Driver) fingerprintOnce(ctx context.Context, cli *client.Client) *sdk.Fingerprint {
	ctx, cancel := context.WithTimeout(ctx, fingerprintTimeout)
	defer cancel()
	v, err := cli.ServerVersion(ctx)
	if err != nil {
		return &sdk.Fingerprint{
			Health:            sdk.HealthStateUnhealthy,
			HealthDescription: fmt.Sprintf("docker engine at %s unreachable: %v", cli.DaemonHost(), err),
		}
	}
	return &sdk.Fingerprint{
		Attributes: map[string]string{
			"driver." + Name:              "1",
			"driver." + Name + ".version": v.Version,
		},
		Health:            sdk.HealthStateHealthy,
		HealthDescription: "healthy",
	}
}

func sameFingerprint(a, b *sdk.Fingerprint) bool {
	if a.Health != b.Health || a.HealthDescription != b.HealthDescription || len(a.Attributes) != len(b.Attributes) {
		return false
	}
	for k, v := range a.Attributes {
		if b.Attributes[k] != v {
			return false
		}
	}
	return true
}
