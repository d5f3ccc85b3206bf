package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
)

// ensureImage returns the task's image, pulling it unless it is present
// and force_pull is unset. Concurrent tasks of one image share one pull.
func (d *Driver) ensureImage(cli *client.Client, pc *pluginConfig, tc *TaskConfig, logger hclog.Logger) (image.InspectResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if !tc.ForcePull {
		img, err := cli.ImageInspect(ctx, tc.Image)
		if err == nil {
			return img, nil
		}
		if !cerrdefs.IsNotFound(err) {
			return image.InspectResponse{}, fmt.Errorf("docker: inspect image %q: %w", tc.Image, err)
		}
	}
	key := tc.Image
	if tc.Auth != nil {
		key += "\x00" + tc.Auth.Username + "\x00" + tc.Auth.ServerAddress
	}
	err := d.pulls.do(key, func() error {
		began := time.Now()
		logger.Info("pulling image", "image", tc.Image)
		if err := pullImage(cli, pc, tc.Image, tc.Auth); err != nil {
			return err
		}
		logger.Info("pulled image", "image", tc.Image, "duration", time.Since(began))
		return nil
	})
	if err != nil {
		return image.InspectResponse{}, err
	}
	img, err := cli.ImageInspect(ctx, tc.Image)
	if err != nil {
		return image.InspectResponse{}, fmt.Errorf("docker: inspect image %q after pulling it: %w", tc.Image, err)
	}
	return img, nil
}

// pullMessage is one line of the engine's pull progress stream; a failure
// after the pull began arrives here rather than as an HTTP error.
type pullMessage struct {
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// pullImage pulls ref and waits for the engine to finish. The pull is
// cancelled when it takes longer than pull_timeout or reports no progress
// for pull_activity_timeout, so an unreachable registry that accepts
// connections but never answers cannot hang a task start.
func pullImage(cli *client.Client, pc *pluginConfig, ref string, auth *Auth) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("docker: config \"image\" %q is not a valid image reference: %w", ref, err)
	}
	full := reference.TagNameOnly(named).String()
	var opts image.PullOptions
	if auth != nil {
		enc, err := registry.EncodeAuthConfig(registry.AuthConfig{
			Username: auth.Username, Password: auth.Password, ServerAddress: auth.ServerAddress,
		})
		if err != nil {
			return fmt.Errorf("docker: encode registry auth: %w", err)
		}
		opts.RegistryAuth = enc
	}

	ctx, cancel := context.WithTimeoutCause(context.Background(), pc.PullTimeout,
		fmt.Errorf("pull took longer than %s (plugin config pull_timeout)", pc.PullTimeout))
	defer cancel()
	idle, stopIdle := context.WithCancelCause(ctx)
	defer stopIdle(nil)
	watchdog := time.AfterFunc(pc.PullActivityTimeout, func() {
		stopIdle(fmt.Errorf("no pull progress for %s (plugin config pull_activity_timeout)", pc.PullActivityTimeout))
	})
	defer watchdog.Stop()

	fail := func(err error) error {
		if cause := context.Cause(idle); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
		return fmt.Errorf("docker: pull image %q: %w", full, err)
	}
	rc, err := cli.ImagePull(idle, full, opts)
	if err != nil {
		return fail(err)
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for {
		var m pullMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fail(err)
		}
		watchdog.Reset(pc.PullActivityTimeout)
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return fail(errors.New(m.ErrorDetail.Message))
		}
		if m.Error != "" {
			return fail(errors.New(m.Error))
		}
	}
}

// pullGroup runs one pull per key at a time; callers that arrive while it
// runs get its result instead of starting their own.
type pullGroup struct {
	mu    sync.Mutex
	calls map[string]*pullCall
}

type pullCall struct {
	done chan struct{}
	err  error
}

func (g *pullGroup) do(key string, pull func() error) error {
	g.mu.Lock()
	if c, ok := g.calls[key]; ok {
		g.mu.Unlock()
		<-c.done
		return c.err
	}
	if g.calls == nil {
		g.calls = make(map[string]*pullCall)
	}
	c := &pullCall{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()

	c.err = pull()
	g.mu.Lock()
	delete(g.calls, key)
	g.mu.Unlock()
	close(c.done)
	return c.err
}
