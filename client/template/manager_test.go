package template

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeCatalog answers GetService as a blocking query over a settable list.
type fakeCatalog struct {
	mu      sync.Mutex
	index   uint64
	regs    []*structs.ServiceRegistration
	changed chan struct{}
}

func newFakeCatalog() *fakeCatalog { return &fakeCatalog{index: 5, changed: make(chan struct{})} }

func (f *fakeCatalog) set(regs ...*structs.ServiceRegistration) {
	f.mu.Lock()
	f.regs, f.index = regs, f.index+1
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeCatalog) RPC(method string, args, reply interface{}) error {
	req := args.(*structs.ServiceRegistrationByNameRequest)
	for {
		f.mu.Lock()
		idx, regs, ch := f.index, f.regs, f.changed
		f.mu.Unlock()
		if idx > req.MinQueryIndex || req.MinQueryIndex == 0 {
			out := reply.(*structs.ServiceRegistrationByNameResponse)
			out.Services, out.Index = regs, idx
			return nil
		}
		select {
		case <-ch:
		case <-time.After(req.MaxQueryTime):
			out := reply.(*structs.ServiceRegistrationByNameResponse)
			out.Services, out.Index = regs, idx
			return nil
		}
	}
}

func inst(addr string, port int, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: addr, ServiceName: "api", Address: addr, Port: port, Status: status}
}

func TestManager_RenderWatchAndChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cat := newFakeCatalog()
	cat.set(inst("10.0.0.2", 80, "passing"), inst("10.0.0.3", 80, "critical"))
	tmpls := []*structs.Template{
		{EmbeddedTmpl: `{{ range nomadService "api" }}{{ .Address }}:{{ .Port }}
{{ end }}`, DestPath: "local/upstreams.txt", ChangeMode: "restart", Perms: "0600"},
		{EmbeddedTmpl: "REGION={{ env \"NOMAD_REGION\" | toUpper }}\n", DestPath: "secrets/app.env", Envvars: true, ChangeMode: "noop"},
	}
	m := New(&Config{Templates: tmpls, TaskDir: dir, Env: map[string]string{"NOMAD_REGION": "eu"}, RPC: cat})
	env, err := m.RenderAll()
	if err != nil {
		t.Fatal(err)
	}
	if env["REGION"] != "EU" {
		t.Errorf("env from template: %v", env)
	}
	read := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "local/upstreams.txt"))
		return string(b)
	}
	if got := read(); got != "10.0.0.2:80\n" {
		t.Fatalf("first render %q: want the passing instance only", got)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "local/upstreams.txt")); fi.Mode().Perm() != 0o600 {
		t.Errorf("perms %v", fi.Mode().Perm())
	}

	changes := make(chan Change, 4)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go m.Watch(ctx, func(c Change) { changes <- c })

	cat.set(inst("10.0.0.2", 80, "passing"), inst("10.0.0.1", 81, "passing"))
	select {
	case c := <-changes:
		if c.Mode != "restart" || c.Dest != "local/upstreams.txt" {
			t.Errorf("change %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change after an instance was added")
	}
	if got := read(); got != "10.0.0.1:81\n10.0.0.2:80\n" {
		t.Errorf("re-rendered %q", got)
	}
	// A catalog change that leaves the output alone changes nothing.
	cat.set(inst("10.0.0.2", 80, "passing"), inst("10.0.0.1", 81, "passing"), inst("10.0.0.9", 80, "critical"))
	select {
	case c := <-changes:
		t.Errorf("unexpected change %+v", c)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestManager_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		tmpl *structs.Template
		want string
	}{
		{"consul key", &structs.Template{EmbeddedTmpl: `{{ key "a/b" }}`, DestPath: "local/x"}, "Consul functions"},
		{"missing source", &structs.Template{SourcePath: "local/nope.tpl", DestPath: "local/x"}, "read source"},
		{"parse error", &structs.Template{EmbeddedTmpl: `{{ .X `, DestPath: "local/x"}, "parse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := New(&Config{Templates: []*structs.Template{tc.tmpl}, TaskDir: t.TempDir(), RPC: newFakeCatalog()})
			if _, err := m.RenderAll(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
