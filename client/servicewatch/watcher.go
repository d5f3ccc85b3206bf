package servicewatch

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DefaultMaxServices bounds a Watcher's cache when Config leaves it zero.
const DefaultMaxServices = 1024

// Config configures a Watcher.
type Config struct {
	Catalog Catalog
	Logger  hclog.Logger
	// MaxServices bounds how many services are cached (and watched) at
	// once; the least recently read one is dropped first.
	MaxServices int
	// RetryWait is the pause after a failed catalog query; zero means 1s.
	RetryWait time.Duration
	// OnChange, if set, is called (from the service's watch goroutine)
	// after the instances of a service changed.
	OnChange func(id ServiceID)
}

// Watcher caches the instances of the services it is asked about and keeps
// them current with one blocking query per service. Its methods are safe
// for concurrent use.
type Watcher struct {
	cfg    Config
	logger hclog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	entries   map[ServiceID]*entry
	lru       *list.List // of ServiceID, front = most recently read
	listeners []func(ServiceID)
}

// OnChange adds fn to the functions called (from a watch goroutine, after
// Config.OnChange) whenever the instances of a cached service change; the
// DNS server and the load balancer share one Watcher.
func (w *Watcher) OnChange(fn func(ServiceID)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.listeners = append(w.listeners, fn)
}

type entry struct {
	insts  []*structs.ServiceRegistration
	index  uint64
	elem   *list.Element
	cancel context.CancelFunc
	pinned bool
}

// New starts a Watcher; Stop ends its queries.
func New(cfg Config) *Watcher {
	if cfg.MaxServices <= 0 {
		cfg.MaxServices = DefaultMaxServices
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Watcher{
		cfg:     cfg,
		logger:  cfg.Logger.Named("service_watch"),
		ctx:     ctx,
		cancel:  cancel,
		entries: make(map[ServiceID]*entry),
		lru:     list.New(),
	}
}

// Stop cancels every watch.
func (w *Watcher) Stop() { w.cancel() }

// Instances returns the cached instances of a service (all health states),
// fetching and starting to watch it on first use. The slice is shared:
// callers must not modify it.
func (w *Watcher) Instances(ctx context.Context, id ServiceID) ([]*structs.ServiceRegistration, error) {
	return w.get(ctx, id, false)
}

// Pin watches a service without it ever being evicted, for the load
// balancer's published services; Unpin makes it evictable again.
func (w *Watcher) Pin(ctx context.Context, id ServiceID) ([]*structs.ServiceRegistration, error) {
	return w.get(ctx, id, true)
}

// Drop stops watching a service (its blocking query ends) and forgets
// its instances; the next read fetches it again. The load balancer drops
// a service that is no longer published.
func (w *Watcher) Drop(id ServiceID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.entries[id]; ok {
		e.cancel()
		w.lru.Remove(e.elem)
		delete(w.entries, id)
	}
}

// Unpin lets a pinned service be evicted again.
func (w *Watcher) Unpin(id ServiceID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.entries[id]; ok {
		e.pinned = false
	}
}

func (w *Watcher) get(ctx context.Context, id ServiceID, pin bool) ([]*structs.ServiceRegistration, error) {
	w.mu.Lock()
	if e, ok := w.entries[id]; ok {
		w.lru.MoveToFront(e.elem)
		e.pinned = e.pinned || pin
		insts := e.insts
		w.mu.Unlock()
		return insts, nil
	}
	w.mu.Unlock()

	// First use: one direct query, outside the lock, so a slow server does
	// not hold up answers for cached services.
	insts, index, err := w.cfg.Catalog.Instances(ctx, id.Namespace, id.Name, 0)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.entries[id]; ok { // a concurrent first use won
		w.lru.MoveToFront(e.elem)
		e.pinned = e.pinned || pin
		return e.insts, nil
	}
	wctx, cancel := context.WithCancel(w.ctx)
	e := &entry{insts: insts, index: index, elem: w.lru.PushFront(id), cancel: cancel, pinned: pin}
	w.entries[id] = e
	w.evictLocked()
	go w.watch(wctx, id, index)
	return insts, nil
}

// evictLocked drops least recently read, unpinned services beyond the bound.
func (w *Watcher) evictLocked() {
	for el := w.lru.Back(); el != nil && len(w.entries) > w.cfg.MaxServices; {
		prev := el.Prev()
		id := el.Value.(ServiceID)
		if e := w.entries[id]; !e.pinned {
			e.cancel()
			w.lru.Remove(el)
			delete(w.entries, id)
		}
		el = prev
	}
}

// Len is the number of cached services.
func (w *Watcher) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.entries)
}

// Cached returns a copy of the cached instances of every cached service,
// for lookups that span services (the DNS server's per-allocation names).
func (w *Watcher) Cached() map[ServiceID][]*structs.ServiceRegistration {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[ServiceID][]*structs.ServiceRegistration, len(w.entries))
	for id, e := range w.entries {
		out[id] = e.insts
	}
	return out
}

// watch refreshes one service with blocking queries until its context ends.
func (w *Watcher) watch(ctx context.Context, id ServiceID, index uint64) {
	logger := w.logger.With("namespace", id.Namespace, "service", id.Name)
	for ctx.Err() == nil {
		insts, next, err := w.cfg.Catalog.Instances(ctx, id.Namespace, id.Name, index)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Warn("service watch failed", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(w.cfg.RetryWait):
			}
			continue
		}
		if next == index {
			continue // the blocking query timed out unchanged
		}
		if next < index {
			next = 0 // the catalog was reset (new leader's restore): start over
		}
		index = next
		w.mu.Lock()
		e, ok := w.entries[id]
		if !ok || ctx.Err() != nil {
			// Dropped or evicted (perhaps fetched again since, with a
			// watch of its own): this answer is not ours to store.
			w.mu.Unlock()
			return
		}
		e.insts, e.index = insts, next
		listeners := w.listeners
		w.mu.Unlock()
		if w.cfg.OnChange != nil {
			w.cfg.OnChange(id)
		}
		for _, fn := range listeners {
			fn(id)
		}
	}
}
