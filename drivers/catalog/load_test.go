package catalog_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// memStore is a catalog.Store in memory, JSON-encoded as the real one
// encodes (msgpack), so a record survives only what it serialises.
type memStore struct {
	mu   sync.Mutex
	recs map[string][]byte
}

func (s *memStore) PutDriverPlugin(name string, v interface{}) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs == nil {
		s.recs = map[string][]byte{}
	}
	s.recs[name] = b
	return nil
}

func (s *memStore) GetDriverPlugin(name string, out interface{}) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.recs[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, out)
}

func (s *memStore) DriverPlugins() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.recs {
		names = append(names, n)
	}
	return names, nil
}

func (s *memStore) DeleteDriverPlugin(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recs, name)
	return nil
}

var buildPlugin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "orch-mockplugin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mockplugin")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/mockplugin").CombinedOutput()
	if err != nil {
		return "", errors.New(string(out))
	}
	return bin, nil
})

// pluginDir holds the test plugin under each of names, plus a file that
// is not executable and must be ignored.
func pluginDir(t *testing.T, names ...string) string {
	t.Helper()
	bin, err := buildPlugin()
	if err != nil {
		t.Fatalf("building the test plugin: %v", err)
	}
	dir := t.TempDir()
	for _, n := range names {
		if err := os.Link(bin, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func pids(t *testing.T, p *catalog.Plugins) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, n := range p.Names() {
		s, _ := p.Get(n)
		out[n] = s.Instance().ReattachConfig.Pid
	}
	return out
}

// TestLoadPluginDirAndReattach: third-party plugins load next to the
// built-ins (one claiming a built-in's name is refused); a second Load
// with the same records reattaches to the same processes, which still
// know their tasks; once the processes are gone, Load launches new ones.
func TestLoadPluginDirAndReattach(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "third_party", "raw_exec")
	store := &memStore{}
	cfg := catalog.LoadConfig{Logger: drivertest.Logger(t), Store: store, PluginDir: dir}

	first, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Kill)
	want := append(catalog.Builtin(), "third_party")
	slices.Sort(want)
	if got := first.Names(); !slices.Equal(got, want) {
		t.Fatalf("loaded %v, want %v", got, want)
	}
	s, _ := first.Get("raw_exec")
	if s.Instance().Path != "" {
		t.Errorf("raw_exec served from %s, want the built-in", s.Instance().Path)
	}
	tp := first.Drivers()["third_party"]
	task := &sdk.TaskConfig{ID: "a/web/1", Name: "web", Config: map[string]interface{}{"run_for": "1h"}}
	if _, err := tp.StartTask(task); err != nil {
		t.Fatalf("StartTask on the third-party plugin: %v", err)
	}
	before := pids(t, first)
	first.Detach()

	second, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Kill)
	if after := pids(t, second); !mapsEqual(after, before) {
		t.Fatalf("after reattach pids = %v, want the same processes %v", after, before)
	}
	if st, err := second.Drivers()["third_party"].InspectTask(task.ID); err != nil || st.State != sdk.TaskStateRunning {
		t.Fatalf("reattached plugin's task = %+v, %v; want running", st, err)
	}
	second.Kill()

	third, err := catalog.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(third.Kill)
	for name, pid := range pids(t, third) {
		if pid == before[name] {
			t.Errorf("%s: reattached to dead pid %d, want a new process", name, pid)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]os.FileMode{"b": 0o755, "a": 0o700, ".hidden": 0o755, "data": 0o644}
	for name, mode := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{name: "executables only, sorted", dir: dir, want: []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}},
		{name: "missing dir", dir: filepath.Join(dir, "nope"), want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := catalog.Discover(tc.dir)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Discover = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestLaunchFileRefusesBuiltinName(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, "raw_exec")
	_, err := catalog.LaunchFile(filepath.Join(dir, "raw_exec"), drivertest.Logger(t))
	if !errors.Is(err, catalog.ErrBuiltinName) {
		t.Errorf("LaunchFile = %v, want ErrBuiltinName", err)
	}
}
