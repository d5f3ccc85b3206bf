package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
)

// testImage is built once per test binary from testdata/testprog; the pid
// keeps two concurrent runs from removing each other's image.
var testImage = fmt.Sprintf("orch-test/dockerdriver:run-%d", os.Getpid())

// engineSkip is why tests that need the engine skip; empty when it is up.
var engineSkip string

// TestMain lets catalog.Launch re-execute this test binary as the docker
// plugin, and builds the test image the tests run.
func TestMain(m *testing.M) {
	catalog.MaybeServePlugin()
	drivertest.NoRaceLinger()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Fprintln(os.Stderr, "docker client:", err)
		return 1
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		engineSkip = fmt.Sprintf("docker engine unreachable at %s: %v", cli.DaemonHost(), err)
		return m.Run()
	}
	if err := buildTestImage(ctx, cli); err != nil {
		fmt.Fprintln(os.Stderr, "build test image:", err)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := cli.ImageRemove(ctx, testImage, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			fmt.Fprintln(os.Stderr, "remove test image:", err)
		}
	}()
	return m.Run()
}

// buildTestImage compiles testprog statically and builds a FROM scratch
// image around it through the engine's build API: nothing is pulled.
func buildTestImage(ctx context.Context, cli *client.Client) error {
	dir, err := os.MkdirTemp("", "orch-docker-test")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "testprog")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./testdata/testprog")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build testprog: %w\n%s", err, out)
	}
	prog, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	dockerfile := "FROM scratch\nCOPY testprog /testprog\nCMD [\"/testprog\", \"sleep\", \"1h\"]\n"
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, []byte(dockerfile)}, {"testprog", 0o755, prog}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	resp, err := cli.ImageBuild(ctx, &buf, build.ImageBuildOptions{
		Tags: []string{testImage}, Remove: true, ForceRemove: true,
		Labels: map[string]string{"orch.test": "dockerdriver"},
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}
