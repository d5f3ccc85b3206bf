package agent

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// fileConfig is one config file as written: pointers tell "unset" from
// zero so that a later file overrides only what it names.
type fileConfig struct {
	Region     *string        `hcl:"region,optional"`
	Datacenter *string        `hcl:"datacenter,optional"`
	Name       *string        `hcl:"name,optional"`
	DataDir    *string        `hcl:"data_dir,optional"`
	PluginDir  *string        `hcl:"plugin_dir,optional"`
	BindAddr   *string        `hcl:"bind_addr,optional"`
	LogLevel   *string        `hcl:"log_level,optional"`
	Ports      *filePorts     `hcl:"ports,block"`
	Addresses  *fileAddresses `hcl:"addresses,block"`
	Advertise  *fileAddresses `hcl:"advertise,block"`
	Server     *fileServer    `hcl:"server,block"`
	Client     *fileClient    `hcl:"client,block"`
	Plugins    []*filePlugin  `hcl:"plugin,block"`
	Telemetry  *fileTelemetry `hcl:"telemetry,block"`
	// Gossip settings outside the server block; see mergeGossip.
	LeaveOnInterrupt *bool          `hcl:"leave_on_interrupt,optional"`
	LeaveOnTerm      *bool          `hcl:"leave_on_terminate,optional"`
	Autopilot        *fileAutopilot `hcl:"autopilot,block"`
	DNS              *fileDNS       `hcl:"dns,block"`
}

type filePorts struct {
	HTTP *int `hcl:"http,optional"`
	RPC  *int `hcl:"rpc,optional"`
	Serf *int `hcl:"serf,optional"`
}

type fileAddresses struct {
	HTTP *string `hcl:"http,optional"`
	RPC  *string `hcl:"rpc,optional"`
	Serf *string `hcl:"serf,optional"`
}

type fileServer struct {
	Enabled         *bool `hcl:"enabled,optional"`
	BootstrapExpect *int  `hcl:"bootstrap_expect,optional"`
	NumSchedulers   *int  `hcl:"num_schedulers,optional"`
	// FailoverHeartbeatTTL is a duration such as "5m".
	FailoverHeartbeatTTL  *string `hcl:"failover_heartbeat_ttl,optional"`
	MinHeartbeatTTL       *string `hcl:"min_heartbeat_ttl,optional"`
	HeartbeatGrace        *string `hcl:"heartbeat_grace,optional"`
	RaftSnapshotThreshold *int    `hcl:"raft_snapshot_threshold,optional"`
	// RaftSnapshotInterval is a duration such as "120s".
	RaftSnapshotInterval *string         `hcl:"raft_snapshot_interval,optional"`
	RaftTrailingLogs     *int            `hcl:"raft_trailing_logs,optional"`
	JobTrackedVersions   *int            `hcl:"job_tracked_versions,optional"`
	RetryJoin            []string        `hcl:"retry_join,optional"`
	ServerJoin           *fileServerJoin `hcl:"server_join,block"`
	// EnableEventBroker and EventBufferSize configure /v1/event/stream.
	EnableEventBroker *bool `hcl:"enable_event_broker,optional"`
	EventBufferSize   *int  `hcl:"event_buffer_size,optional"`
	// Encrypt and the join retry settings are read by mergeGossip.
	Encrypt       *string `hcl:"encrypt,optional"`
	RetryInterval *string `hcl:"retry_interval,optional"`
	RetryMax      *int    `hcl:"retry_max,optional"`
	// DefaultSchedulerConfig is decoded into schedulerConfig by
	// parseConfigFile; see config_scheduler.go.
	DefaultSchedulerConfig *fileSchedulerConfig `hcl:"default_scheduler_config,block"`
	schedulerConfig        *structs.SchedulerConfiguration
	Autoscaler             *fileAutoscaler `hcl:"autoscaler,block"`
}

// fileAutoscaler is the server's autoscaler block.
type fileAutoscaler struct {
	Enabled           *bool   `hcl:"enabled,optional"`
	PrometheusAddress *string `hcl:"prometheus_address,optional"`
}

type fileServerJoin struct {
	RetryJoin     []string `hcl:"retry_join,optional"`
	RetryInterval *string  `hcl:"retry_interval,optional"`
	RetryMax      *int     `hcl:"retry_max,optional"`
}

type fileClient struct {
	Enabled          *bool             `hcl:"enabled,optional"`
	Servers          []string          `hcl:"servers,optional"`
	NodeClass        *string           `hcl:"node_class,optional"`
	NodePool         *string           `hcl:"node_pool,optional"`
	NetworkInterface *string           `hcl:"network_interface,optional"`
	MinDynamicPort   *int              `hcl:"min_dynamic_port,optional"`
	MaxDynamicPort   *int              `hcl:"max_dynamic_port,optional"`
	Reserved         *fileReserved     `hcl:"reserved,block"`
	HostVolumes      []*fileHostVolume `hcl:"host_volume,block"`
	// AutoscalingSampleInterval is a duration such as "5s".
	AutoscalingSampleInterval *string           `hcl:"autoscaling_sample_interval,optional"`
	LoadBalancer              *fileLoadBalancer `hcl:"load_balancer,block"`
	// Rest holds meta, which gohcl cannot decode because Nomad accepts it
	// both as an argument and as a block; see decodeMeta.
	Rest hcl.Body `hcl:",remain"`
	Meta map[string]string
}

type fileReserved struct {
	CPU           *int    `hcl:"cpu,optional"`
	Memory        *int    `hcl:"memory,optional"`
	Disk          *int    `hcl:"disk,optional"`
	ReservedPorts *string `hcl:"reserved_ports,optional"`
}

// fileHostVolume is a client's `host_volume "name" { ... }` block. path
// is required, so a block without one is reported at its file:line.
type fileHostVolume struct {
	Name     string `hcl:"name,label"`
	Path     string `hcl:"path"`
	ReadOnly *bool  `hcl:"read_only,optional"`
}

type filePlugin struct {
	Name   string      `hcl:"name,label"`
	Config *pluginBody `hcl:"config,block"`
}

// pluginBody is a plugin's free-form config: each driver defines its own.
type pluginBody struct {
	Body hcl.Body `hcl:",remain"`
}

type fileTelemetry struct {
	PrometheusMetrics *bool `hcl:"prometheus_metrics,optional"`
	DisableHostname   *bool `hcl:"disable_hostname,optional"`
}

// parseConfigFile reads one HCL or JSON (by extension) config file. Its
// errors carry file:line:column from HCL's diagnostics.
func parseConfigFile(path string) (*fileConfig, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	parser := hclparse.NewParser()
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		file, diags = parser.ParseJSON(src, path)
	} else {
		file, diags = parser.ParseHCL(src, path)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	var fc fileConfig
	if diags := gohcl.DecodeBody(file.Body, nil, &fc); diags.HasErrors() {
		return nil, diags
	}
	if fc.Server != nil && fc.Server.DefaultSchedulerConfig != nil {
		cfg, diags := decodeSchedulerConfig(fc.Server.DefaultSchedulerConfig)
		if diags.HasErrors() {
			return nil, diags
		}
		fc.Server.schedulerConfig = cfg
	}
	if fc.Client != nil {
		meta, diags := decodeMeta(fc.Client.Rest)
		if diags.HasErrors() {
			return nil, diags
		}
		fc.Client.Meta = meta
	}
	return &fc, nil
}

// metaSchema names meta both ways: `meta = { k = "v" }` and Nomad's
// documented block `meta { k = "v" }`. In a JSON file the two look alike
// and HCL reports them as the argument.
var metaSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "meta"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "meta"}},
}

// decodeMeta reads client.meta from what gohcl left of the client block;
// anything else left there is reported as unsupported, as gohcl would.
func decodeMeta(body hcl.Body) (map[string]string, hcl.Diagnostics) {
	content, diags := body.Content(metaSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	var meta map[string]string
	var first *hcl.Range
	if a, ok := content.Attributes["meta"]; ok {
		if diags := gohcl.DecodeExpression(a.Expr, nil, &meta); diags.HasErrors() {
			return nil, diags
		}
		first = &a.NameRange
	}
	for _, b := range content.Blocks {
		if first != nil {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError, Subject: b.DefRange.Ptr(), Summary: "Duplicate meta",
				Detail: fmt.Sprintf("client.meta is already set at %s; use one meta block or one meta argument", first),
			}}
		}
		first = b.DefRange.Ptr()
		attrs, diags := b.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, diags
		}
		meta = make(map[string]string, len(attrs))
		for name, a := range attrs {
			var v string
			if diags := gohcl.DecodeExpression(a.Expr, nil, &v); diags.HasErrors() {
				return nil, diags
			}
			meta[name] = v
		}
	}
	return meta, nil
}

// configFiles expands -config paths: a directory stands for its .hcl and
// .json files in lexical order.
func configFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("config path: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("config directory: %w", err)
		}
		for _, e := range entries { // ReadDir sorts by name
			ext := filepath.Ext(e.Name())
			if !e.IsDir() && (ext == ".hcl" || ext == ".json") {
				out = append(out, filepath.Join(p, e.Name()))
			}
		}
	}
	return out, nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// merge applies a file over c: scalars override, lists append and maps
// merge, as Nomad merges agent configs.
func (c *Config) merge(f *fileConfig) error {
	set(&c.Region, f.Region)
	set(&c.Datacenter, f.Datacenter)
	set(&c.NodeName, f.Name)
	set(&c.DataDir, f.DataDir)
	set(&c.PluginDir, f.PluginDir)
	set(&c.BindAddr, f.BindAddr)
	set(&c.LogLevel, f.LogLevel)
	if p := f.Ports; p != nil {
		set(&c.Ports.HTTP, p.HTTP)
		set(&c.Ports.RPC, p.RPC)
		set(&c.Ports.Serf, p.Serf)
	}
	mergeAddresses(&c.Addresses, f.Addresses)
	mergeAddresses(&c.Advertise, f.Advertise)
	if s := f.Server; s != nil {
		set(&c.Server.Enabled, s.Enabled)
		set(&c.Server.BootstrapExpect, s.BootstrapExpect)
		set(&c.Server.NumSchedulers, s.NumSchedulers)
		for _, d := range []struct {
			key string
			in  *string
			out *time.Duration
		}{
			{"failover_heartbeat_ttl", s.FailoverHeartbeatTTL, &c.Server.FailoverHeartbeatTTL},
			{"min_heartbeat_ttl", s.MinHeartbeatTTL, &c.Server.MinHeartbeatTTL},
			{"heartbeat_grace", s.HeartbeatGrace, &c.Server.HeartbeatGrace},
		} {
			if d.in == nil {
				continue
			}
			v, err := time.ParseDuration(*d.in)
			if err != nil || v <= 0 {
				return fmt.Errorf("server.%s %q: want a positive duration such as \"5m\" or \"30s\"", d.key, *d.in)
			}
			*d.out = v
		}
		if err := mergeRaftSnapshot(&c.Server, s); err != nil {
			return err
		}
		if s.EnableEventBroker != nil {
			c.Server.DisableEventBroker = !*s.EnableEventBroker
		}
		set(&c.Server.EventBufferSize, s.EventBufferSize)
		if err := mergeAutoscaler(&c.Server.Autoscaler, s.Autoscaler); err != nil {
			return err
		}
		if s.schedulerConfig != nil {
			// A later file's block replaces an earlier one whole.
			c.Server.DefaultSchedulerConfig = s.schedulerConfig
		}
		c.Server.RetryJoin = append(c.Server.RetryJoin, s.RetryJoin...)
		if s.ServerJoin != nil {
			c.Server.RetryJoin = append(c.Server.RetryJoin, s.ServerJoin.RetryJoin...)
		}
	}
	if err := c.mergeGossip(f); err != nil {
		return err
	}
	mergeClient(&c.Client, f.Client)
	if f.Client != nil && f.Client.AutoscalingSampleInterval != nil {
		d, err := time.ParseDuration(*f.Client.AutoscalingSampleInterval)
		if err != nil || d <= 0 {
			return fmt.Errorf("client.autoscaling_sample_interval %q: want a positive duration such as \"5s\"", *f.Client.AutoscalingSampleInterval)
		}
		c.Client.AutoscalingSampleInterval = d
	}
	if err := c.mergeDNS(f.DNS); err != nil {
		return err
	}
	for _, p := range f.Plugins {
		pc := &PluginConfig{Name: p.Name, Config: map[string]interface{}{}}
		if p.Config != nil {
			m, err := pluginBodyToMap(p.Config.Body)
			if err != nil {
				return err
			}
			pc.Config = m
		}
		c.Plugins[p.Name] = pc
	}
	if t := f.Telemetry; t != nil {
		set(&c.Telemetry.PrometheusMetrics, t.PrometheusMetrics)
		set(&c.Telemetry.DisableHostname, t.DisableHostname)
	}
	return nil
}

func mergeAddresses(dst *Addresses, src *fileAddresses) {
	if src == nil {
		return
	}
	set(&dst.HTTP, src.HTTP)
	set(&dst.RPC, src.RPC)
	set(&dst.Serf, src.Serf)
}

func mergeClient(c *ClientConfig, f *fileClient) {
	if f == nil {
		return
	}
	set(&c.Enabled, f.Enabled)
	c.Servers = append(c.Servers, f.Servers...)
	set(&c.NodeClass, f.NodeClass)
	set(&c.NodePool, f.NodePool)
	if f.Meta != nil {
		if c.Meta == nil {
			c.Meta = map[string]string{}
		}
		maps.Copy(c.Meta, f.Meta)
	}
	set(&c.NetworkInterface, f.NetworkInterface)
	set(&c.MinDynamicPort, f.MinDynamicPort)
	set(&c.MaxDynamicPort, f.MaxDynamicPort)
	if r := f.Reserved; r != nil {
		set(&c.Reserved.CPU, r.CPU)
		set(&c.Reserved.MemoryMB, r.Memory)
		set(&c.Reserved.DiskMB, r.Disk)
		set(&c.Reserved.ReservedPorts, r.ReservedPorts)
	}
	// A later file's block of the same name replaces the earlier one
	// whole, as Nomad merges host volumes.
	for _, v := range f.HostVolumes {
		if c.HostVolumes == nil {
			c.HostVolumes = map[string]*HostVolume{}
		}
		hv := &HostVolume{Path: v.Path}
		set(&hv.ReadOnly, v.ReadOnly)
		c.HostVolumes[v.Name] = hv
	}
	mergeLoadBalancer(&c.LoadBalancer, f.LoadBalancer)
}

// bodyToMap evaluates a free-form block's attributes into plain Go values.
func bodyToMap(body hcl.Body) (map[string]interface{}, error) {
	attrs, diags := body.JustAttributes()
	if diags.HasErrors() {
		return nil, diags
	}
	out := make(map[string]interface{}, len(attrs))
	for name, attr := range attrs {
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, diags
		}
		out[name] = ctyToGo(v)
	}
	return out, nil
}

func ctyToGo(v cty.Value) interface{} {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		return v.True()
	case t == cty.String:
		return v.AsString()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact {
			return i
		}
		f, _ := bf.Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var out []interface{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, ctyToGo(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = ctyToGo(e)
		}
		return out
	}
	return nil
}

// stringList is a flag that may be repeated.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// agentFlags are the agent's command-line flags before merging.
type agentFlags struct {
	dev, server, client                   bool
	bind, dataDir, node, dc, region, logL string
	pluginDir                             string
	servers                               string
	bootstrapExpect                       int
	httpPort, rpcPort, serfPort           int
	configs, retryJoin                    stringList
	encrypt                               string
	retryInterval                         time.Duration
	retryMax                              int
	dnsAddr                               string
	dnsPort                               int
}

// FlagSet returns the agent's flags bound to a fresh set, for parsing and
// for the help text.
func (f *agentFlags) flagSet(out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.BoolVar(&f.dev, "dev", false, "")
	fs.BoolVar(&f.server, "server", false, "")
	fs.BoolVar(&f.client, "client", false, "")
	fs.StringVar(&f.bind, "bind", "", "")
	fs.StringVar(&f.dataDir, "data-dir", "", "")
	fs.StringVar(&f.pluginDir, "plugin-dir", "", "")
	fs.StringVar(&f.node, "node", "", "")
	fs.StringVar(&f.dc, "dc", "", "")
	fs.StringVar(&f.region, "region", "", "")
	fs.StringVar(&f.logL, "log-level", "", "")
	fs.StringVar(&f.servers, "servers", "", "")
	fs.IntVar(&f.bootstrapExpect, "bootstrap-expect", 0, "")
	fs.IntVar(&f.httpPort, "http-port", 0, "")
	fs.IntVar(&f.rpcPort, "rpc-port", 0, "")
	fs.IntVar(&f.serfPort, "serf-port", 0, "")
	fs.Var(&f.configs, "config", "")
	fs.Var(&f.retryJoin, "retry-join", "")
	fs.StringVar(&f.encrypt, "encrypt", "", "")
	fs.DurationVar(&f.retryInterval, "retry-interval", 0, "")
	fs.IntVar(&f.retryMax, "retry-max", 0, "")
	fs.StringVar(&f.dnsAddr, "dns-addr", "", "")
	fs.IntVar(&f.dnsPort, "dns-port", 0, "")
	return fs
}

// LoadConfig builds the agent's configuration from its command-line
// arguments: defaults, then -dev, then each -config file or directory in
// order, then the other flags, which win over files. Usage errors go to
// out as well as being returned.
func LoadConfig(args []string, out io.Writer) (*Config, error) {
	var f agentFlags
	fs := f.flagSet(out)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg := DefaultConfig()
	if f.dev {
		cfg.applyDev()
	}
	files, err := configFiles(f.configs)
	if err != nil {
		return nil, err
	}
	for _, path := range files {
		// HCL's diagnostics already start with file:line:column.
		fc, err := parseConfigFile(path)
		if err != nil {
			return nil, fmt.Errorf("invalid agent config: %w", err)
		}
		if err := cfg.merge(fc); err != nil {
			return nil, fmt.Errorf("invalid agent config: %w", err)
		}
		cfg.Files = append(cfg.Files, path)
	}
	visited := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { visited[fl.Name] = true })
	f.apply(cfg, visited)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// apply copies the flags the user actually set over cfg.
func (f *agentFlags) apply(cfg *Config, visited map[string]bool) {
	strs := map[string]struct {
		dst *string
		v   string
	}{
		"bind": {&cfg.BindAddr, f.bind}, "data-dir": {&cfg.DataDir, f.dataDir}, "plugin-dir": {&cfg.PluginDir, f.pluginDir},
		"node": {&cfg.NodeName, f.node}, "dc": {&cfg.Datacenter, f.dc},
		"region": {&cfg.Region, f.region}, "log-level": {&cfg.LogLevel, f.logL},
		"encrypt": {&cfg.Server.Encrypt, f.encrypt}, "dns-addr": {&cfg.DNS.Address, f.dnsAddr},
	}
	for name, s := range strs {
		if visited[name] {
			*s.dst = s.v
		}
	}
	ints := map[string]struct {
		dst *int
		v   int
	}{
		"bootstrap-expect": {&cfg.Server.BootstrapExpect, f.bootstrapExpect},
		"http-port":        {&cfg.Ports.HTTP, f.httpPort},
		"rpc-port":         {&cfg.Ports.RPC, f.rpcPort},
		"serf-port":        {&cfg.Ports.Serf, f.serfPort},
		"retry-max":        {&cfg.Server.RetryMax, f.retryMax},
		"dns-port":         {&cfg.DNS.Port, f.dnsPort},
	}
	for name, i := range ints {
		if visited[name] {
			*i.dst = i.v
		}
	}
	if visited["dns-addr"] || visited["dns-port"] {
		cfg.DNS.Explicit = true
	}
	if visited["retry-interval"] {
		cfg.Server.RetryInterval = f.retryInterval
	}
	if visited["server"] {
		cfg.Server.Enabled = f.server
	}
	if visited["client"] {
		cfg.Client.Enabled = f.client
	}
	cfg.Server.RetryJoin = append(cfg.Server.RetryJoin, f.retryJoin...)
	if visited["servers"] {
		for _, s := range strings.Split(f.servers, ",") {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(cfg.Client.Servers, s) {
				cfg.Client.Servers = append(cfg.Client.Servers, s)
			}
		}
	}
}

// mergeRaftSnapshot applies the server block's Raft snapshot settings.
func mergeRaftSnapshot(dst *ServerConfig, s *fileServer) error {
	set(&dst.RaftSnapshotThreshold, s.RaftSnapshotThreshold)
	set(&dst.RaftTrailingLogs, s.RaftTrailingLogs)
	set(&dst.JobTrackedVersions, s.JobTrackedVersions)
	if s.RaftSnapshotInterval != nil {
		d, err := time.ParseDuration(*s.RaftSnapshotInterval)
		if err != nil || d < 5*time.Millisecond {
			return fmt.Errorf("server.raft_snapshot_interval %q: want a duration of at least 5ms, such as \"120s\"", *s.RaftSnapshotInterval)
		}
		dst.RaftSnapshotInterval = d
	}
	return nil
}

// mergeAutoscaler reads `server { autoscaler { ... } }`.
func mergeAutoscaler(dst *AutoscalerConfig, f *fileAutoscaler) error {
	if f == nil {
		return nil
	}
	if f.Enabled != nil {
		dst.Disabled = !*f.Enabled
	}
	if a := f.PrometheusAddress; a != nil {
		u, err := url.Parse(*a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server.autoscaler.prometheus_address %q: want an http(s) URL such as \"http://127.0.0.1:9090\"", *a)
		}
		dst.PrometheusAddress = strings.TrimSuffix(*a, "/")
	}
	return nil
}
