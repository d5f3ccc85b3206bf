package template

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// RPCer is how the manager reads the catalog.
type RPCer interface {
	RPC(method string, args, reply interface{}) error
}

// Config is what a manager needs.
type Config struct {
	Logger    hclog.Logger
	Templates []*structs.Template
	// TaskDir is the task's directory; sources and destinations are
	// relative to it.
	TaskDir   string
	Env       map[string]string
	RPC       RPCer
	Namespace string
	Region    string
}

// Change is a template whose output changed, handed to the caller.
type Change struct {
	Mode   string
	Signal string
	Dest   string
}

// Manager renders one task's templates.
type Manager struct {
	cfg    *Config
	logger hclog.Logger

	mu sync.Mutex
	// reads are the services the last render asked for, with the catalog
	// index they were read at.
	reads map[string]uint64
	cache map[string][]*structs.ServiceRegistration
}

// New returns a manager for cfg.
func New(cfg *Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Manager{cfg: cfg, logger: cfg.Logger.Named("template"), reads: map[string]uint64{},
		cache: map[string][]*structs.ServiceRegistration{}}
}

// RenderAll renders every template into the task directory, as the task
// is about to start, and returns the variables of env = true templates.
func (m *Manager) RenderAll() (map[string]string, error) {
	env := map[string]string{}
	for i, t := range m.cfg.Templates {
		out, err := m.render(t)
		if err != nil {
			return nil, fmt.Errorf("template %d (%s): %w", i, t.DestPath, err)
		}
		if _, err := m.write(t, out); err != nil {
			return nil, fmt.Errorf("template %d (%s): %w", i, t.DestPath, err)
		}
		if t.Envvars {
			for k, v := range parseEnv(out) {
				env[k] = v
			}
		}
	}
	return env, nil
}

func (m *Manager) render(t *structs.Template) ([]byte, error) {
	text := t.EmbeddedTmpl
	if t.SourcePath != "" {
		b, err := os.ReadFile(m.path(t.SourcePath))
		if err != nil {
			return nil, fmt.Errorf("read source: %w", err)
		}
		text = string(b)
	}
	left, right := t.LeftDelim, t.RightDelim
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	tmpl, err := template.New(t.DestPath).Delims(left, right).Option("missingkey=zero").
		Funcs(funcs(m.cfg.Env, m.lookup, m.list)).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return buf.Bytes(), nil
}

func (m *Manager) path(rel string) string {
	if filepath.IsAbs(rel) {
		return filepath.Join(m.cfg.TaskDir, filepath.Clean(rel))
	}
	return filepath.Join(m.cfg.TaskDir, filepath.Clean("/"+rel))
}

// write replaces the destination when out differs from it; changed says
// whether it did.
func (m *Manager) write(t *structs.Template, out []byte) (bool, error) {
	dest := m.path(t.DestPath)
	if old, err := os.ReadFile(dest); err == nil && bytes.Equal(old, out) {
		return false, nil
	}
	perm := os.FileMode(0o644)
	if t.Perms != "" {
		if p, err := strconv.ParseUint(t.Perms, 8, 32); err == nil {
			perm = os.FileMode(p)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return false, err
	}
	tmp := dest + ".orch-tmp"
	if err := os.WriteFile(tmp, out, perm); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, dest)
}

// lookup answers service "name" from the cache the watchers fill, or
// from the servers the first time, and records the read.
func (m *Manager) lookup(name string) ([]*structs.ServiceRegistration, error) {
	m.mu.Lock()
	regs, ok := m.cache[name]
	m.mu.Unlock()
	if ok {
		return regs, nil
	}
	resp, err := m.get(name, 0)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.cache[name], m.reads[name] = resp.Services, max(resp.Index, 1)
	m.mu.Unlock()
	return resp.Services, nil
}

func (m *Manager) get(name string, index uint64) (*structs.ServiceRegistrationByNameResponse, error) {
	req := &structs.ServiceRegistrationByNameRequest{ServiceName: name}
	req.Namespace, req.Region = m.cfg.Namespace, m.cfg.Region
	req.MinQueryIndex, req.MaxQueryTime = index, 5*time.Minute
	var resp structs.ServiceRegistrationByNameResponse
	if err := m.cfg.RPC.RPC(structs.ServiceRegistrationGetRPC, req, &resp); err != nil {
		return nil, fmt.Errorf("read service %q: %w", name, err)
	}
	return &resp, nil
}

func (m *Manager) list() ([]ServiceStub, error) {
	req := &structs.ServiceRegistrationListRequest{}
	req.Namespace, req.Region = m.cfg.Namespace, m.cfg.Region
	var resp structs.ServiceRegistrationListResponse
	if err := m.cfg.RPC.RPC(structs.ServiceRegistrationListRPC, req, &resp); err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var out []ServiceStub
	for _, ns := range resp.Services {
		for _, s := range ns.Services {
			out = append(out, ServiceStub{Name: s.ServiceName, Tags: s.Tags})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// parseEnv reads KEY=VALUE lines, skipping blanks and # comments.
func parseEnv(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return out
}

// Watch follows the services the templates read and renders again on
// every change, calling onChange for each template whose output changed,
// after its splay. It returns when ctx is done.
func (m *Manager) Watch(ctx context.Context, onChange func(Change)) {
	changed := make(chan string, 1)
	watching := map[string]bool{}
	for {
		m.mu.Lock()
		names := make([]string, 0, len(m.reads))
		for n := range m.reads {
			names = append(names, n)
		}
		m.mu.Unlock()
		for _, n := range names {
			if !watching[n] {
				watching[n] = true
				go m.follow(ctx, n, changed)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		m.rerender(ctx, onChange)
	}
}

// follow runs the blocking query of one service, updating the cache and
// signalling a change.
func (m *Manager) follow(ctx context.Context, name string, changed chan<- string) {
	backoff := time.Second
	for ctx.Err() == nil {
		m.mu.Lock()
		index := m.reads[name]
		m.mu.Unlock()
		resp, err := m.get(name, index)
		if err != nil {
			m.logger.Warn("catalog watch failed", "service", name, "error", err)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		// An empty catalog has index 0; waiting past 1 still blocks.
		if max(resp.Index, 1) == index {
			continue // the query timed out with nothing new
		}
		m.mu.Lock()
		m.cache[name], m.reads[name] = resp.Services, max(resp.Index, 1)
		m.mu.Unlock()
		select {
		case changed <- name:
		default:
		}
	}
}

func (m *Manager) rerender(ctx context.Context, onChange func(Change)) {
	for _, t := range m.cfg.Templates {
		out, err := m.render(t)
		if err != nil {
			m.logger.Warn("template render failed", "destination", t.DestPath, "error", err)
			continue
		}
		wrote, err := m.write(t, out)
		if err != nil {
			m.logger.Warn("template write failed", "destination", t.DestPath, "error", err)
			continue
		}
		if !wrote || t.ChangeMode == structs.TemplateChangeModeNoop {
			continue
		}
		m.logger.Info("template re-rendered", "destination", t.DestPath, "change_mode", t.ChangeMode)
		if t.Splay > 0 {
			select {
			case <-time.After(rand.N(t.Splay)):
			case <-ctx.Done():
				return
			}
		}
		onChange(Change{Mode: t.ChangeMode, Signal: t.ChangeSignal, Dest: t.DestPath})
	}
}
