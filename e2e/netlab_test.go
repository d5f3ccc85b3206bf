package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netLab is a private network of hosts built from Linux network
// namespaces: a hub namespace holds a bridge, and each host namespace is
// wired to it by a veth pair, with an address in 10.77.0.0/24 that exists
// only inside these namespaces. Cutting a host off takes its hub-side veth
// down, which drops every packet between it and the others while the host
// can still reach itself (the test talks to it from inside its namespace).
type netLab struct {
	t      testing.TB
	prefix string
	hub    string
	hosts  []*labHost
}

// labHost is one namespace of a netLab.
type labHost struct {
	ns     string // namespace name, under /var/run/netns
	ip     string
	hubEnd string // the veth end in the hub namespace
}

var labSeq atomic.Uint32

// labSupported says why network namespaces cannot be used here, or "".
func labSupported() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "the ip command (iproute2) is not installed"
	}
	return ""
}

// newNetLab builds a lab of n hosts and removes it when the test ends,
// also when it fails half-way through being built.
func newNetLab(t testing.TB, n int) *netLab {
	t.Helper()
	if why := labSupported(); why != "" {
		t.Skip(why)
	}
	// Names carry the test binary's pid so that concurrent runs (and a
	// crashed earlier run's leftovers) never collide.
	l := &netLab{t: t, prefix: fmt.Sprintf("oe2e-%d-%d", os.Getpid(), labSeq.Add(1))}
	l.hub = l.prefix + "-hub"
	t.Cleanup(l.destroy)
	l.ip("netns", "add", l.hub)
	l.ip("-n", l.hub, "link", "set", "lo", "up")
	l.ip("-n", l.hub, "link", "add", "br0", "type", "bridge")
	l.ip("-n", l.hub, "link", "set", "br0", "up")
	for i := 0; i < n; i++ {
		h := &labHost{ns: fmt.Sprintf("%s-h%d", l.prefix, i), ip: fmt.Sprintf("10.77.0.%d", i+1), hubEnd: fmt.Sprintf("v%d", i)}
		l.hosts = append(l.hosts, h)
		l.ip("netns", "add", h.ns)
		l.ip("-n", h.ns, "link", "set", "lo", "up")
		// Created in the hub, then one end moved: both names are local to
		// their namespace, so every host's interface can be eth0.
		l.ip("-n", l.hub, "link", "add", h.hubEnd, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
		l.ip("-n", l.hub, "link", "set", h.hubEnd, "master", "br0")
		l.ip("-n", l.hub, "link", "set", h.hubEnd, "up")
		l.ip("-n", h.ns, "addr", "add", h.ip+"/24", "dev", "eth0")
		l.ip("-n", h.ns, "link", "set", "eth0", "up")
	}
	return l
}

func (l *netLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (l *netLab) host(i int) *labHost { return l.hosts[i] }

// cut isolates host i from every other host.
func (l *netLab) cut(i int) { l.ip("-n", l.hub, "link", "set", l.hosts[i].hubEnd, "down") }

// heal reconnects host i.
func (l *netLab) heal(i int) { l.ip("-n", l.hub, "link", "set", l.hosts[i].hubEnd, "up") }

// destroy deletes every namespace of the lab; the veth pairs and the
// bridge go with them. Errors are reported, not fatal, so that cleanup
// carries on.
func (l *netLab) destroy() {
	for _, h := range l.hosts {
		if out, err := exec.Command("ip", "netns", "del", h.ns).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
			l.t.Errorf("removing namespace %s: %v: %s", h.ns, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "del", l.hub).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
		l.t.Errorf("removing namespace %s: %v: %s", l.hub, err, out)
	}
}

func (h *labHost) nsPath() string { return "/var/run/netns/" + h.ns }

// httpClient reaches the host's addresses from inside its namespace, so
// the test can still question a host that is cut off from the others.
func (h *labHost) httpClient() *http.Client {
	nsPath := h.nsPath()
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, nsPath, network, addr)
		},
	}}
}

// dialInNetns opens a connection from inside the namespace at nsPath.
func dialInNetns(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
	var conn net.Conn
	var dialErr error
	if err := inNetns(nsPath, func() {
		var d net.Dialer
		conn, dialErr = d.DialContext(ctx, network, addr)
	}); err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, err
	}
	return conn, dialErr
}

// inNetns runs fn on an OS thread switched into the network namespace at
// nsPath. A socket belongs to the namespace it was created in, so what fn
// dials or listens on stays there after the thread is switched back.
func inNetns(nsPath string, fn func()) error {
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restored, err := runInNetns(nsPath, fn)
		// A thread left in the wrong namespace must not run other
		// goroutines: staying locked makes it exit with this one.
		if restored {
			runtime.UnlockOSThread()
		}
		ch <- err
	}()
	return <-ch
}

// runInNetns runs on a locked thread; restored says whether the thread is
// back in its own namespace.
func runInNetns(nsPath string, fn func()) (restored bool, err error) {
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return true, fmt.Errorf("open own network namespace: %w", err)
	}
	defer self.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		return true, fmt.Errorf("open network namespace %s: %w", nsPath, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return true, fmt.Errorf("enter network namespace %s: %w", nsPath, err)
	}
	fn()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return false, fmt.Errorf("leave network namespace %s: %w", nsPath, err)
	}
	return true, nil
}

// TestNetLabCut checks the lab itself, so that a partition test failing
// points at orch rather than at the network: hosts reach each other, a
// cut host reaches nobody and nobody reaches it, it still reaches itself,
// and healing restores the links.
func TestNetLabCut(t *testing.T) {
	lab := newNetLab(t, 2)
	var ln net.Listener
	var lerr error
	if err := inNetns(lab.host(0).nsPath(), func() { ln, lerr = net.Listen("tcp", lab.host(0).ip+":7000") }); err != nil || lerr != nil {
		t.Fatalf("listening in %s: %v %v", lab.host(0).ns, err, lerr)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	reach := func(from int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		c, err := dialInNetns(ctx, lab.host(from).nsPath(), "tcp", lab.host(0).ip+":7000")
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, step := range []struct {
		name      string
		change    func()
		fromOther bool
	}{
		{"connected", func() {}, true},
		{"cut", func() { lab.cut(0) }, false},
		{"healed", func() { lab.heal(0) }, true},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.change()
			if err := reach(0); err != nil {
				t.Errorf("host 0 cannot reach itself: %v", err)
			}
			if err := reach(1); (err == nil) != step.fromOther {
				t.Errorf("host 1 reaching host 0: %v, want reachable %v", err, step.fromOther)
			}
		})
	}
}
