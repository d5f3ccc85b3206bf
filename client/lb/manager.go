package lb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	metrics "github.com/hashicorp/go-metrics"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Config configures a Manager.
type Config struct {
	// Catalog lists the services; Watcher follows their instances (it
	// may be shared with the DNS server).
	Catalog servicewatch.Catalog
	Watcher *servicewatch.Watcher
	// Bind is the address published ports listen on ("0.0.0.0" default).
	Bind string
	// DownFor keeps an instance whose dial failed out of rotation; zero
	// means 2s.
	DownFor time.Duration
	// DialTimeout bounds one dial to an instance; zero means 2s.
	DialTimeout time.Duration
	// Listen opens a published port; net.Listen by default. Tests map
	// ports to free ones here.
	Listen func(network, address string) (net.Listener, error)
	// RetryWait is the pause after a failed catalog list; zero means 1s.
	RetryWait time.Duration
	Logger    hclog.Logger
	// Now is the clock of down marks and rates; time.Now by default.
	Now func() time.Time
}

// Manager publishes, on this client, every service of the catalog whose
// instances carry a publish block.
type Manager struct {
	cfg    Config
	logger hclog.Logger
	rates  *rates

	mu       sync.Mutex
	services map[servicewatch.ServiceID]*published
	ports    map[int]servicewatch.ServiceID
	known    map[servicewatch.ServiceID]bool
	// waiting are services refused a port another service holds; they
	// are tried again whenever a port is freed.
	waiting map[servicewatch.ServiceID]bool
}

var _ RequestRater = (*Manager)(nil)

// published is one service served on a port of this client.
type published struct {
	id     servicewatch.ServiceID
	spec   structs.ServicePublish
	pool   *pool
	ln     net.Listener
	stop   func()
	rates  *rates
	labels []metrics.Label
}

// count records one request or connection to b.
func (p *published) count(b *backend) {
	metrics.IncrCounterWithLabels([]string{"client", "lb", "requests"}, 1,
		append(p.labels, metrics.Label{Name: "alloc_id", Value: b.allocID}))
	p.rates.add(b.allocID)
}

// New returns a Manager; Run starts it.
func New(cfg Config) *Manager {
	if cfg.Bind == "" {
		cfg.Bind = "0.0.0.0"
	}
	if cfg.DownFor == 0 {
		cfg.DownFor = 2 * time.Second
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	if cfg.Listen == nil {
		cfg.Listen = net.Listen
	}
	if cfg.RetryWait == 0 {
		cfg.RetryWait = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{
		cfg:      cfg,
		logger:   cfg.Logger.Named("lb"),
		rates:    newRates(cfg.Now),
		services: map[servicewatch.ServiceID]*published{},
		ports:    map[int]servicewatch.ServiceID{},
		known:    map[servicewatch.ServiceID]bool{},
		waiting:  map[servicewatch.ServiceID]bool{},
	}
}

// RequestRates implements RequestRater.
func (m *Manager) RequestRates() map[string]float64 { return m.rates.perSecond() }

// Addr is the address a service is published on, "" when it is not.
func (m *Manager) Addr(id servicewatch.ServiceID) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.services[id]; ok {
		return p.ln.Addr().String()
	}
	return ""
}

// Instances is how many passing instances a published service has in
// rotation on this client (0 when it is not published).
func (m *Manager) Instances(id servicewatch.ServiceID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.services[id]; ok {
		return p.pool.size()
	}
	return 0
}

// Run follows the catalog until ctx ends, then closes every listener.
func (m *Manager) Run(ctx context.Context) {
	m.cfg.Watcher.OnChange(func(id servicewatch.ServiceID) {
		// The watcher is shared with DNS: only published services are
		// the balancer's business.
		if ctx.Err() == nil && m.isKnown(id) && m.reconcile(ctx, id) {
			m.retryWaiting(ctx)
		}
	})
	defer m.closeAll()
	var index uint64
	for ctx.Err() == nil {
		ids, next, err := m.cfg.Catalog.Services(ctx, index)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.logger.Warn("list services failed", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(m.cfg.RetryWait):
			}
			continue
		}
		if next == index {
			continue
		}
		index = next
		m.sync(ctx, ids)
	}
}

func (m *Manager) isKnown(id servicewatch.ServiceID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.known[id]
}

// sync watches the published services of the catalog's list and
// unpublishes those gone or no longer published. Services without a
// publish block are never watched: a client holds one blocking query per
// published service, not one per service of the cluster.
func (m *Manager) sync(ctx context.Context, stubs []servicewatch.ServiceStub) {
	seen := make(map[servicewatch.ServiceID]bool, len(stubs))
	for _, s := range stubs {
		if s.Published {
			seen[s.ServiceID] = true
		}
	}
	// Services gone go first, so that a port they free is there for a
	// service of this same list that wants it.
	m.mu.Lock()
	var gone []servicewatch.ServiceID
	for id := range m.known {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	m.mu.Unlock()
	for _, id := range gone {
		m.cfg.Watcher.Drop(id)
		m.mu.Lock()
		delete(m.known, id)
		delete(m.waiting, id)
		m.unpublishLocked(id)
		m.mu.Unlock()
	}
	freed := len(gone) > 0
	for _, s := range stubs {
		if seen[s.ServiceID] && m.reconcile(ctx, s.ServiceID) {
			freed = true
		}
	}
	if freed {
		m.retryWaiting(ctx)
	}
}

// retryWaiting reconciles the services that were refused a port.
func (m *Manager) retryWaiting(ctx context.Context) {
	m.mu.Lock()
	ids := make([]servicewatch.ServiceID, 0, len(m.waiting))
	for id := range m.waiting {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i].Name < ids[j].Name })
	for _, id := range ids {
		m.reconcile(ctx, id)
	}
}

// reconcile brings one service's listener and pool in line with its
// instances in the watcher. It reports whether it closed a listener,
// which may free a port another service waits for.
func (m *Manager) reconcile(ctx context.Context, id servicewatch.ServiceID) (freed bool) {
	if _, err := m.cfg.Watcher.Pin(ctx, id); err != nil {
		m.logger.Warn("service lookup failed", "service", id.Name, "namespace", id.Namespace, "error", err)
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Read again under the lock, now from the cache: concurrent
	// reconciles then apply the instances in the order they were cached.
	insts, err := m.cfg.Watcher.Pin(ctx, id)
	if err != nil {
		return false
	}
	spec := publishSpec(insts)
	m.known[id] = true
	cur := m.services[id]
	if cur != nil && (spec == nil || spec.Port != cur.spec.Port || spec.Mode != cur.spec.Mode) {
		m.unpublishLocked(id)
		cur, freed = nil, true
	}
	if cur != nil && *spec != cur.spec {
		cur.spec = *spec
		cur.pool.setStrategy(spec)
	}
	if spec == nil {
		delete(m.waiting, id)
		return freed
	}
	if cur == nil {
		if cur, err = m.publishLocked(id, *spec); err != nil {
			if errors.Is(err, errPortTaken) {
				m.waiting[id] = true
			}
			m.logger.Error("cannot publish service", "service", id.Name, "namespace", id.Namespace, "port", spec.Port, "error", err)
			return freed
		}
	}
	delete(m.waiting, id)
	cur.pool.update(servicewatch.Passing(insts))
	return freed
}

// publishSpec is the publish block of the newest instance that has one:
// during a rolling update the new version's spelling wins.
func publishSpec(insts []*structs.ServiceRegistration) *structs.ServicePublish {
	var spec *structs.ServicePublish
	var newest uint64
	for _, in := range insts {
		if in.Publish != nil && (spec == nil || in.CreateIndex > newest) {
			spec, newest = in.Publish, in.CreateIndex
		}
	}
	return spec
}

// drainTimeout is how long requests in flight may take once a service
// stops being published here.
const drainTimeout = 5 * time.Second

var errPortTaken = errors.New("port already published by another service")

// publishLocked opens the service's port and starts its proxy.
func (m *Manager) publishLocked(id servicewatch.ServiceID, spec structs.ServicePublish) (*published, error) {
	if other, ok := m.ports[spec.Port]; ok && other != id {
		return nil, fmt.Errorf("%w: %s/%s", errPortTaken, other.Namespace, other.Name)
	}
	addr := joinHostPort(m.cfg.Bind, spec.Port)
	ln, err := m.cfg.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	logger := m.logger.With("service", id.Name, "namespace", id.Namespace, "port", spec.Port)
	p := &published{
		id: id, spec: spec, ln: ln, rates: m.rates,
		pool:   newPool(&spec, m.cfg.DownFor, m.cfg.Now),
		labels: []metrics.Label{{Name: "namespace", Value: id.Namespace}, {Name: "service", Value: id.Name}},
	}
	if spec.Mode == structs.PublishModeHTTP {
		srv := &http.Server{
			Handler:           newHTTPProxy(p, m.cfg.DialTimeout, logger),
			ReadHeaderTimeout: 30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		}
		go func() { _ = srv.Serve(ln) }()
		p.stop = func() {
			// The port is free at once (it may be published again right
			// away); requests in flight get drainTimeout to finish.
			_ = ln.Close()
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
				defer cancel()
				if srv.Shutdown(ctx) != nil {
					_ = srv.Close()
				}
			}()
		}
	} else {
		tp := &tcpProxy{svc: p, dialTimeout: m.cfg.DialTimeout, logger: logger}
		go tp.serve(ln)
		// Open connections finish on their own; only accepting stops.
		p.stop = func() { _ = ln.Close() }
	}
	m.services[id] = p
	m.ports[spec.Port] = id
	logger.Info("service published", "address", ln.Addr().String(), "mode", modeOrDefault(spec.Mode))
	return p, nil
}

func modeOrDefault(mode string) string {
	if mode == "" {
		return structs.PublishModeTCP
	}
	return mode
}

func (m *Manager) unpublishLocked(id servicewatch.ServiceID) {
	p, ok := m.services[id]
	if !ok {
		return
	}
	p.stop()
	delete(m.services, id)
	delete(m.ports, p.spec.Port)
	m.logger.Info("service unpublished", "service", id.Name, "namespace", id.Namespace, "port", p.spec.Port)
}

func (m *Manager) closeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]servicewatch.ServiceID, 0, len(m.services))
	for id := range m.services {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Name < ids[j].Name })
	for _, id := range ids {
		m.unpublishLocked(id)
	}
}
