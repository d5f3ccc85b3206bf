package catalog

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Store keeps the plugins' reattach records across agent restarts. The
// client's state database (client/state.DB) implements it.
type Store interface {
	PutDriverPlugin(name string, v interface{}) error
	GetDriverPlugin(name string, out interface{}) (bool, error)
	DriverPlugins() ([]string, error)
	DeleteDriverPlugin(name string) error
}

// LoadConfig configures Load.
type LoadConfig struct {
	Logger hclog.Logger
	// Store, if set, is where reattach records are read and written.
	Store Store
	// PluginDir holds third-party driver plugins; empty for none.
	PluginDir string
	// Config returns the agent-level configuration of driver name (its
	// `plugin "NAME" { config {} }` block).
	Config func(name string) *sdk.PluginConfig
	// PollInterval is how often each supervisor checks its plugin; zero
	// for the default.
	PollInterval time.Duration
}

// Plugins are the supervised driver plugins of one client.
type Plugins struct {
	byName map[string]*Supervised
}

// Load brings up every built-in driver and every plugin in PluginDir,
// reattaching to the processes an earlier agent left running (from the
// store's records) and launching the rest, configures them, and
// supervises each. A built-in that cannot start is an error; a broken
// third-party plugin is logged and skipped, so one bad file does not keep
// the node from running its other work.
func Load(cfg LoadConfig) (*Plugins, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Config == nil {
		cfg.Config = func(string) *sdk.PluginConfig { return &sdk.PluginConfig{Config: map[string]interface{}{}} }
	}
	l := &loader{cfg: cfg, logger: cfg.Logger.Named("plugins"), records: map[string]*ReattachState{}}
	if err := l.readRecords(); err != nil {
		return nil, err
	}
	p := &Plugins{byName: make(map[string]*Supervised)}
	for _, name := range Builtin() {
		inst, err := l.reattachOrLaunch(name, "", func() (*Instance, error) { return Launch(name, cfg.Logger) })
		if err == nil {
			err = l.start(p, inst, func() (*Instance, error) { return Launch(name, cfg.Logger) })
		}
		if err != nil {
			p.Kill()
			return nil, fmt.Errorf("driver %q: %w", name, err)
		}
	}
	l.loadExternal(p)
	l.forgetUnused(p)
	return p, nil
}

type loader struct {
	cfg     LoadConfig
	logger  hclog.Logger
	records map[string]*ReattachState
}

func (l *loader) readRecords() error {
	if l.cfg.Store == nil {
		return nil
	}
	names, err := l.cfg.Store.DriverPlugins()
	if err != nil {
		return fmt.Errorf("read plugin records: %w", err)
	}
	for _, name := range names {
		var rs ReattachState
		if found, err := l.cfg.Store.GetDriverPlugin(name, &rs); err != nil || !found {
			l.logger.Warn("unreadable plugin record, ignoring it", "driver", name, "error", err)
			continue
		}
		l.records[name] = &rs
	}
	return nil
}

// reattachOrLaunch finds the plugin an earlier agent ran for name (from
// path, for a third-party one) if it still lives, and launches it anew
// otherwise.
func (l *loader) reattachOrLaunch(name, path string, launch func() (*Instance, error)) (*Instance, error) {
	if rs := l.records[name]; rs != nil && rs.Path == path {
		inst, err := l.reattach(name, rs)
		if err == nil {
			l.logger.Info("reattached to driver plugin", "driver", name, "pid", rs.Pid)
			return inst, nil
		}
		l.logger.Info("cannot reattach to driver plugin, launching a new one", "driver", name, "pid", rs.Pid, "reason", err)
	}
	return launch()
}

func (l *loader) reattach(name string, rs *ReattachState) (*Instance, error) {
	// Only a live process with the recorded start time is ours; anything
	// else at that pid must not be connected to, let alone killed.
	if rs.StartTime == 0 || procStartTime(rs.Pid) != rs.StartTime {
		return nil, errors.New("plugin process is gone")
	}
	rc, err := rs.Config()
	if err != nil {
		return nil, err
	}
	if rs.Path != "" {
		return reattachFile(name, rs.Path, rc, l.cfg.Logger)
	}
	return Reattach(name, rc, l.cfg.Logger)
}

// start records, configures and supervises a running plugin.
func (l *loader) start(p *Plugins, inst *Instance, relaunch func() (*Instance, error)) error {
	l.persist(inst)
	if err := inst.Driver.SetConfig(l.cfg.Config(inst.Name)); err != nil {
		inst.Kill()
		return fmt.Errorf("configure: %w", err)
	}
	name := inst.Name
	p.byName[name] = Supervise(SuperviseConfig{
		Name:     name,
		Instance: inst,
		Relaunch: func() (*Instance, error) {
			next, err := relaunch()
			if err == nil && next.Name != name {
				next.Kill()
				return nil, fmt.Errorf("relaunched plugin serves driver %q, not %q", next.Name, name)
			}
			return next, err
		},
		OnRelaunch:   l.persist,
		Logger:       l.cfg.Logger,
		PollInterval: l.cfg.PollInterval,
	})
	return nil
}

// persist records how to reattach to inst. A failure costs only the
// reattach after the next agent restart, so it is logged, not fatal.
func (l *loader) persist(inst *Instance) {
	if l.cfg.Store == nil || inst.ReattachConfig == nil {
		return
	}
	rs := NewReattachState(inst.ReattachConfig)
	rs.StartTime, rs.Path = procStartTime(rs.Pid), inst.Path
	if err := l.cfg.Store.PutDriverPlugin(inst.Name, rs); err != nil {
		l.logger.Warn("persisting plugin reattach state failed", "driver", inst.Name, "error", err)
	}
}

// loadExternal starts the third-party plugins of PluginDir.
func (l *loader) loadExternal(p *Plugins) {
	if l.cfg.PluginDir == "" {
		return
	}
	files, err := Discover(l.cfg.PluginDir)
	if err != nil {
		l.logger.Error("cannot list plugin_dir", "error", err)
		return
	}
	byPath := make(map[string]string)
	for name, rs := range l.records {
		if rs.Path != "" {
			byPath[rs.Path] = name
		}
	}
	for _, path := range files {
		launch := func() (*Instance, error) { return LaunchFile(path, l.cfg.Logger) }
		inst, err := l.reattachOrLaunch(byPath[path], path, launch)
		if err != nil {
			l.logger.Error("skipping driver plugin", "path", path, "error", err)
			continue
		}
		if _, dup := p.byName[inst.Name]; dup {
			l.logger.Error("skipping driver plugin: another plugin serves the same driver", "path", path, "driver", inst.Name)
			inst.Kill()
			continue
		}
		if err := l.start(p, inst, launch); err != nil {
			l.logger.Error("skipping driver plugin", "path", path, "driver", inst.Name, "error", err)
			continue
		}
		l.logger.Info("loaded third-party driver plugin", "path", path, "driver", inst.Name)
	}
}

// forgetUnused drops the records of plugins that no longer load (a file
// removed from plugin_dir), so a later agent does not try them.
func (l *loader) forgetUnused(p *Plugins) {
	if l.cfg.Store == nil {
		return
	}
	for name := range l.records {
		if _, ok := p.byName[name]; ok {
			continue
		}
		if err := l.cfg.Store.DeleteDriverPlugin(name); err != nil {
			l.logger.Warn("deleting stale plugin record failed", "driver", name, "error", err)
		}
	}
}

// Drivers returns every loaded driver by name.
func (p *Plugins) Drivers() map[string]sdk.Driver {
	out := make(map[string]sdk.Driver, len(p.byName))
	for name, s := range p.byName {
		out[name] = s
	}
	return out
}

// Names lists the loaded drivers, sorted.
func (p *Plugins) Names() []string {
	names := make([]string, 0, len(p.byName))
	for n := range p.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the supervised plugin of driver name.
func (p *Plugins) Get(name string) (*Supervised, bool) {
	s, ok := p.byName[name]
	return s, ok
}

// Detach stops supervising and leaves every plugin running with its
// tasks, for an agent that will reattach after a restart.
func (p *Plugins) Detach() {
	for _, s := range p.byName {
		s.Detach()
	}
}

// Kill stops every plugin process.
func (p *Plugins) Kill() {
	for _, s := range p.byName {
		s.Kill()
	}
}
