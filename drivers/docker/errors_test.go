package docker_test

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// TestStartErrors: bad input fails StartTask promptly with a message that
// names the problem, and leaves no container behind (taskConfig's cleanup
// would remove one, but ContainerList in the test checks there is none).
func TestStartErrors(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	// A registry that accepts connections and never answers: without the
	// plugin's own bound a pull from it would hang.
	hang := hangingListener(t)
	d := launch(t, map[string]interface{}{"pull_activity_timeout": "1s"}).Driver
	cases := []struct {
		name   string
		config map[string]interface{}
		ports  []sdk.PortMapping
		want   []string
	}{
		{name: "unknown config key", config: map[string]interface{}{"image": testImage, "comand": "/testprog"},
			want: []string{`unknown key "comand" in config; valid keys: args, auth, command,`}},
		{name: "missing image", config: map[string]interface{}{"image": "orch-test/does-not-exist:nope"},
			// The engine's reason follows; here it cannot reach any registry.
			want: []string{`docker: pull image "docker.io/orch-test/does-not-exist:nope": `}},
		{name: "registry that never answers", config: map[string]interface{}{"image": hang + "/orch-test/hang:1"},
			want: []string{`pull image "` + hang + `/orch-test/hang:1"`, "no pull progress for 1s (plugin config pull_activity_timeout)"}},
		{name: "port label not in the network block", config: map[string]interface{}{"image": testImage, "ports": []interface{}{"http"}},
			ports: []sdk.PortMapping{{Label: "db", Value: 20000}},
			want:  []string{`config "ports": "http" is not a port label of the group's network block; this allocation's ports: db`}},
		{name: "privileged without allow_privileged", config: map[string]interface{}{"image": testImage, "privileged": true},
			want: []string{`config "privileged" is refused on this client`, `allow_privileged = true`}},
		{name: "host volume without volumes.enabled", config: map[string]interface{}{"image": testImage, "volumes": []interface{}{"/:/host"}},
			want: []string{`config "volumes"[0]: host path "/" is outside the allocation directory`, `volumes { enabled = true }`}},
		{name: "host bind mount without volumes.enabled", config: map[string]interface{}{"image": testImage,
			"mount": []interface{}{map[string]interface{}{"type": "bind", "source": "/etc", "target": "/host-etc"}}},
			want: []string{`config mount[0]: bind source "/etc" is outside the allocation directory`, `volumes { enabled = true }`}},
		{name: "command missing from the image", config: map[string]interface{}{"image": testImage, "command": "/no/such/binary"},
			want: []string{"docker: start container for task \"web\"", "/no/such/binary"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			cfg.Ports = tc.ports
			began := time.Now()
			_, err := d.StartTask(cfg)
			if err == nil {
				t.Fatal("StartTask succeeded, want an error")
			}
			t.Logf("StartTask error: %v", err)
			if took := time.Since(began); took > 20*time.Second {
				t.Errorf("StartTask took %s to fail", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := d.InspectTask(cfg.ID); err == nil {
				t.Error("the failed task is still known to the driver")
			}
			if n := countAllocContainers(t, cfg.AllocID); n != 0 {
				t.Errorf("%d containers left behind by a failed start", n)
			}
		})
	}
}

// hangingListener accepts TCP connections on 127.0.0.1 and never writes.
func hangingListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}
