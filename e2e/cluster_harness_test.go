package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// The cluster harness runs every server and client as its own `orch agent`
// process, as operators would on separate machines: each server binds its
// own loopback address (127.0.0.10 and up) or, for partition tests, an
// address inside its own network namespace (see netlab_test.go).

// nextIP hands out loopback addresses so that no two live agents of one
// test binary share an address; ports are still picked free per address,
// because other test binaries may use the same range at the same time.
var nextIP atomic.Uint32

func nextLoopbackIP() string {
	n := nextIP.Add(1) - 1
	return fmt.Sprintf("127.0.0.%d", 10+n%200)
}

// freePortsOn reserves n distinct ports on ip. As with freePorts, another
// process may in rare cases take one before the agent binds it; the agent
// then fails to start and says so in its log.
func freePortsOn(t testing.TB, ip string, n int) []int {
	t.Helper()
	var ls []net.Listener
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatalf("reserving a port on %s: %v", ip, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// clusterNode is one agent of a cluster; its process may be killed and
// started again over the same data dir and addresses.
type clusterNode struct {
	t       testing.TB
	name    string
	ip      string
	ports   [3]int // http, rpc, serf
	dataDir string
	logPath string
	args    []string // agent arguments, reused on restart
	wrap    []string // command prefix, e.g. `ip netns exec NS`
	http    *http.Client
	proc    *agent

	// orphans are the driver plugins a client agent had started when it
	// was stopped or killed: outside -dev they outlive the agent on
	// purpose, and nothing else ties them to it once they are reparented.
	mu      sync.Mutex
	orphans []procRef
}

func (n *clusterNode) httpURL() string {
	return "http://" + net.JoinHostPort(n.ip, strconv.Itoa(n.ports[0]))
}
func (n *clusterNode) rpcAddr() string  { return net.JoinHostPort(n.ip, strconv.Itoa(n.ports[1])) }
func (n *clusterNode) serfAddr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.ports[2])) }

// start launches the agent process without waiting for it to be healthy:
// a server of a bootstrap_expect cluster is not healthy until its peers
// are up too.
func (n *clusterNode) start() {
	n.t.Helper()
	a := &agent{t: n.t, addr: n.httpURL(), dataDir: n.dataDir, logPath: n.logPath, done: make(chan struct{})}
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	argv := append(append(append([]string{}, n.wrap...), orchBin, "agent", "-log-level", "debug"), n.args...)
	a.cmd = exec.Command(argv[0], argv[1:]...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		logFile.Close()
		n.t.Fatalf("starting agent %s: %v", n.name, err)
	}
	go func() {
		_ = a.cmd.Wait()
		logFile.Close()
		close(a.done)
	}()
	n.t.Cleanup(func() {
		n.stopProc(a)
		// The log file spans restarts: print it once, with the newest
		// process's cleanup.
		if n.t.Failed() && n.proc == a {
			n.t.Logf("---- log of %s (%s) ----\n%s", n.name, n.logPath, tail(n.logs(), 300))
		}
	})
	n.proc = a
}

// stopAgent interrupts the agent as Ctrl-C would and waits for it to exit,
// killing its process group if it has not within 20 seconds.
func stopAgent(a *agent) {
	select {
	case <-a.done:
		return
	default:
	}
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
		a.t.Errorf("agent %s did not stop within 20s of SIGINT", a.addr)
	}
}

func (n *clusterNode) alive() bool {
	if n.proc == nil {
		return false
	}
	select {
	case <-n.proc.done:
		return false
	default:
		return true
	}
}

// kill9 ends the agent as a crash would.
func (n *clusterNode) kill9() {
	n.noteChildren(n.proc)
	n.proc.kill9()
}

// stopProc stops one process of the node, noting its plugins first.
func (n *clusterNode) stopProc(a *agent) {
	n.noteChildren(a)
	stopAgent(a)
}

func (n *clusterNode) noteChildren(a *agent) {
	select {
	case <-a.done:
		return
	default:
	}
	kids := procChildren(a.cmd.Process.Pid)
	n.mu.Lock()
	n.orphans = append(n.orphans, kids...)
	n.mu.Unlock()
}

// procRef names a process by pid and start time, so that a pid reused by
// another process is not mistaken for it.
type procRef struct {
	pid   int
	start string
}

// procStat returns a process's parent pid and start time from
// /proc/PID/stat.
func procStat(pid int) (ppid int, start string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", false
	}
	// Fields after the command name, which may itself hold spaces:
	// state, ppid, ... with the start time the 20th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 20 {
		return 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[19], true
}

func procChildren(pid int) []procRef {
	var out []procRef
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if ppid, start, ok := procStat(child); ok && ppid == pid {
			out = append(out, procRef{pid: child, start: start})
		}
	}
	return out
}

func (r procRef) kill() {
	if _, start, ok := procStat(r.pid); ok && start == r.start {
		_ = syscall.Kill(r.pid, syscall.SIGKILL)
	}
}

func (n *clusterNode) logs() string {
	b, _ := os.ReadFile(n.logPath)
	return string(b)
}

// waitHealthy polls /v1/agent/health until it answers 200.
func (n *clusterNode) waitHealthy(timeout time.Duration) {
	n.t.Helper()
	waitFor(n.t, timeout, n.name+" healthy", func() (bool, string) {
		if !n.alive() {
			n.t.Fatalf("agent %s exited early:\n%s", n.name, n.logs())
		}
		res, err := n.do("GET", "/v1/agent/health", nil, 2*time.Second)
		if err != nil {
			return false, err.Error()
		}
		return res.code == 200, fmt.Sprintf("%d %s", res.code, res.body)
	})
}

// httpResult is one answer of an agent's HTTP API.
type httpResult struct {
	code   int
	header http.Header
	body   []byte
}

// do sends one request to the node's HTTP API; body, when not nil, is
// encoded as JSON. An error means no answer (refused, reset, timed out).
func (n *clusterNode) do(method, path string, body interface{}, timeout time.Duration) (*httpResult, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.httpURL()+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	hc := *n.http
	hc.Timeout = timeout
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s on %s: %w", method, path, n.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s on %s: read body: %w", method, path, n.name, err)
	}
	return &httpResult{code: resp.StatusCode, header: resp.Header, body: b}, nil
}

// getJSON reads path into out; any failure, including a non-200 answer,
// is an error so that polling callers can retry.
func (n *clusterNode) getJSON(path string, out interface{}) (http.Header, error) {
	res, err := n.do("GET", path, nil, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if res.code != 200 {
		return res.header, fmt.Errorf("GET %s on %s: %d %s", path, n.name, res.code, bytes.TrimSpace(res.body))
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return res.header, fmt.Errorf("GET %s on %s: decode: %w", path, n.name, err)
	}
	return res.header, nil
}

// clusterSpec describes a cluster to start.
type clusterSpec struct {
	servers int
	clients int
	// serverArgs adds agent arguments for server i (-region, -encrypt, ...).
	serverArgs func(i int) []string
	// bootstrapExpect overrides -bootstrap-expect for server i; nil means
	// the server count.
	bootstrapExpect func(i int) int
	// serverConfig, when set, is an HCL agent config given to every server.
	serverConfig string
	// lab, when set, runs the servers in its network namespaces (one per
	// server) instead of on loopback addresses.
	lab *netLab
	// noWait returns as soon as the processes run, without waiting for a
	// leader: for tests where the servers must not form a cluster.
	noWait bool
}

// cluster is a set of server and client agents started by startCluster.
type cluster struct {
	t       testing.TB
	root    string
	spec    clusterSpec
	servers []*clusterNode
	clients []*clusterNode
}

// startCluster starts spec.servers servers that find each other through
// -retry-join and bootstrap once all are present, then spec.clients
// clients that know every server, and waits until a leader is elected and
// every agent is healthy. Everything is stopped when the test ends, in
// parallel, with driver plugins and tasks left by clients killed.
func startCluster(t testing.TB, spec clusterSpec) *cluster {
	t.Helper()
	c := &cluster{t: t, root: t.TempDir(), spec: spec}
	for i := 0; i < spec.servers; i++ {
		c.servers = append(c.servers, c.newServer(i))
	}
	for i, s := range c.servers {
		s.args = append(s.args, c.joinArgs(i)...)
	}
	// Registered before the nodes start, so it runs after their own
	// cleanups: the clients' leftovers are only killed once they stopped.
	t.Cleanup(c.killLeftovers)
	for _, s := range c.servers {
		s.start()
	}
	t.Cleanup(c.stopAll)
	if spec.noWait {
		return c
	}
	for _, s := range c.servers {
		s.waitHealthy(60 * time.Second)
	}
	for i := 0; i < spec.clients; i++ {
		c.addClient()
	}
	return c
}

// newServer prepares server i's node; its retry-join list comes later,
// once every server's ports are known.
func (c *cluster) newServer(i int) *clusterNode {
	c.t.Helper()
	n := &clusterNode{t: c.t, name: fmt.Sprintf("server%d", i), http: &http.Client{}}
	if c.spec.lab != nil {
		host := c.spec.lab.host(i)
		n.ip, n.wrap, n.http = host.ip, []string{"ip", "netns", "exec", host.ns}, host.httpClient()
		// Each namespace is a host of its own, so the default ports fit.
		n.ports = [3]int{4646, 4647, 4648}
	} else {
		n.ip = nextLoopbackIP()
		p := freePortsOn(c.t, n.ip, 3)
		n.ports = [3]int{p[0], p[1], p[2]}
	}
	n.dataDir = filepath.Join(c.root, n.name)
	n.logPath = filepath.Join(c.root, n.name+".log")
	expect := c.spec.servers
	if c.spec.bootstrapExpect != nil {
		expect = c.spec.bootstrapExpect(i)
	}
	n.args = []string{"-server", "-bootstrap-expect", strconv.Itoa(expect),
		"-data-dir", n.dataDir, "-bind", n.ip, "-node", n.name,
		"-http-port", strconv.Itoa(n.ports[0]), "-rpc-port", strconv.Itoa(n.ports[1]), "-serf-port", strconv.Itoa(n.ports[2])}
	if c.spec.serverConfig != "" {
		n.args = append(n.args, "-config", writeFile(c.t, "server.hcl", c.spec.serverConfig))
	}
	if c.spec.serverArgs != nil {
		n.args = append(n.args, c.spec.serverArgs(i)...)
	}
	return n
}

// joinArgs lists every other server's gossip address, as an operator
// would in each server's config.
func (c *cluster) joinArgs(i int) []string {
	var args []string
	for j, s := range c.servers {
		if j != i {
			args = append(args, "-retry-join", s.serfAddr())
		}
	}
	return args
}

// serverList is the -servers value a client gets: every server's RPC
// address.
func (c *cluster) serverList() string {
	addrs := make([]string, len(c.servers))
	for i, s := range c.servers {
		addrs[i] = s.rpcAddr()
	}
	return strings.Join(addrs, ",")
}

// addClient starts one more client agent with raw_exec enabled, pointed at
// every server, and waits until its node is registered.
func (c *cluster) addClient() *clusterNode {
	c.t.Helper()
	n := c.clientNode(c.serverList())
	n.start()
	n.waitHealthy(60 * time.Second)
	return n
}

// clientNode prepares a client agent that dials servers.
func (c *cluster) clientNode(servers string) *clusterNode {
	c.t.Helper()
	n := &clusterNode{t: c.t, name: fmt.Sprintf("client%d", len(c.clients)), ip: nextLoopbackIP(), http: &http.Client{}}
	p := freePortsOn(c.t, n.ip, 3)
	n.ports = [3]int{p[0], p[1], p[2]}
	n.dataDir = filepath.Join(c.root, n.name)
	n.logPath = filepath.Join(c.root, n.name+".log")
	cfg := writeFile(c.t, "client.hcl", "plugin \"raw_exec\" {\n  config { enabled = true }\n}\n")
	n.args = []string{"-client", "-servers", servers, "-bind", n.ip, "-node", n.name,
		"-data-dir", n.dataDir, "-config", cfg,
		"-http-port", strconv.Itoa(n.ports[0]), "-rpc-port", strconv.Itoa(n.ports[1]), "-serf-port", strconv.Itoa(n.ports[2])}
	c.clients = append(c.clients, n)
	return n
}

// stopAll interrupts every live agent at once and waits for all of them
// (each bounded by agent.stop's own deadline), so a cluster that loses
// quorum while shutting down cannot stretch the cleanup server by server.
func (c *cluster) stopAll() {
	var wg sync.WaitGroup
	for _, n := range append(append([]*clusterNode{}, c.clients...), c.servers...) {
		if n.proc == nil {
			continue
		}
		wg.Add(1)
		go func(n *clusterNode, a *agent) {
			defer wg.Done()
			n.stopProc(a)
		}(n, n.proc)
	}
	wg.Wait()
}

// killLeftovers kills what non-dev clients leave running on purpose when
// they stop or die: the driver plugins they had started, and tasks, found
// by a working directory or an open file under a client's data dir.
func (c *cluster) killLeftovers() {
	for _, n := range c.clients {
		n.mu.Lock()
		for _, r := range n.orphans {
			r.kill()
		}
		n.mu.Unlock()
		killProcessesUnder(n.dataDir)
	}
}

func killProcessesUnder(dir string) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := os.Getpid()
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		if usesDir(d, dir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func usesDir(procDir, dir string) bool {
	if cwd, err := os.Readlink(procDir + "/cwd"); err == nil && strings.HasPrefix(cwd, dir) {
		return true
	}
	fds, _ := os.ReadDir(procDir + "/fd")
	for _, fd := range fds {
		if target, err := os.Readlink(procDir + "/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, dir) {
			return true
		}
	}
	return false
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// liveServers are the servers whose process runs.
func (c *cluster) liveServers() []*clusterNode {
	var out []*clusterNode
	for _, s := range c.servers {
		if s.alive() {
			out = append(out, s)
		}
	}
	return out
}

// serverByRPC finds the server advertising addr.
func (c *cluster) serverByRPC(addr string) *clusterNode {
	for _, s := range c.servers {
		if s.rpcAddr() == addr {
			return s
		}
	}
	return nil
}

// leader returns the leader named by a live server, once that server
// confirms it leads: right after a crash the followers still name the
// dead leader until their election timeout passes.
func (c *cluster) leader() (*clusterNode, error) {
	var last error
	for _, s := range c.liveServers() {
		var addr string
		if _, err := s.getJSON("/v1/status/leader", &addr); err != nil {
			last = err
			continue
		}
		l := c.serverByRPC(addr)
		if l == nil || !l.alive() {
			last = fmt.Errorf("%s names leader %q, which is not a live server of this cluster", s.name, addr)
			continue
		}
		var self string
		if _, err := l.getJSON("/v1/status/leader", &self); err != nil || self != addr {
			last = fmt.Errorf("%s names leader %s, which names %q (%v)", s.name, l.name, self, err)
			continue
		}
		return l, nil
	}
	if last == nil {
		last = fmt.Errorf("no live server")
	}
	return nil, last
}

// waitLeader polls until a live server other than not leads, and returns
// it with the time the poll took.
func (c *cluster) waitLeader(timeout time.Duration, not *clusterNode) (*clusterNode, time.Duration) {
	c.t.Helper()
	start := time.Now()
	var l *clusterNode
	waitFor(c.t, timeout, "a leader", func() (bool, string) {
		var err error
		if l, err = c.leader(); err != nil {
			return false, err.Error()
		}
		return l != not, "still led by " + l.name
	})
	return l, time.Since(start)
}

// restart starts a killed agent again over its data dir and addresses and
// waits until it is healthy.
func (c *cluster) restart(n *clusterNode) {
	c.t.Helper()
	if n.alive() {
		c.t.Fatalf("restart %s: it is still running", n.name)
	}
	n.start()
	n.waitHealthy(60 * time.Second)
}

// registerResult is an acknowledged job registration.
type registerResult struct {
	api.JobRegisterResponse
	via string // the server that answered
}

// register sends the job to one server and returns its answer; only a 200
// with an evaluation ID counts as acknowledged.
func register(n *clusterNode, job *api.Job, timeout time.Duration) (*registerResult, error) {
	res, err := n.do("PUT", "/v1/jobs", &api.JobRegisterRequest{Job: job}, timeout)
	if err != nil {
		return nil, err
	}
	if res.code != 200 {
		return nil, fmt.Errorf("register %s on %s: %d %s", *job.ID, n.name, res.code, bytes.TrimSpace(res.body))
	}
	var out registerResult
	if err := json.Unmarshal(res.body, &out.JobRegisterResponse); err != nil {
		return nil, fmt.Errorf("register %s on %s: decode: %w", *job.ID, n.name, err)
	}
	if out.EvalID == "" {
		return nil, fmt.Errorf("register %s on %s: answer without an evaluation ID: %s", *job.ID, n.name, res.body)
	}
	out.via = n.name
	return &out, nil
}

// registerAnywhere tries each live server in turn, starting at start,
// until one acknowledges the job or every one failed once.
func (c *cluster) registerAnywhere(job *api.Job, start int) (*registerResult, error) {
	live := c.liveServers()
	var errs []string
	for k := range live {
		s := live[(start+k)%len(live)]
		res, err := register(s, job, 10*time.Second)
		if err == nil {
			return res, nil
		}
		errs = append(errs, err.Error())
	}
	return nil, fmt.Errorf("no server acknowledged job %s: %s", *job.ID, strings.Join(errs, "; "))
}

// jobIDs lists the jobs a server holds; stale reads its own state instead
// of asking the leader.
func jobIDs(n *clusterNode, stale bool) (map[string]api.JobListStub, http.Header, error) {
	path := "/v1/jobs"
	if stale {
		path += "?stale"
	}
	var stubs []api.JobListStub
	hdr, err := n.getJSON(path, &stubs)
	if err != nil {
		return nil, hdr, err
	}
	out := make(map[string]api.JobListStub, len(stubs))
	for _, s := range stubs {
		out[s.ID] = s
	}
	return out, hdr, nil
}

// batchJob is a one-allocation raw_exec batch job running cmd; a
// datacenter with no clients makes it wait as a blocked evaluation.
func batchJob(id, dc string, cmd ...string) *api.Job {
	return &api.Job{
		ID: api.PointerOf(id), Name: api.PointerOf(id), Type: api.PointerOf("batch"),
		Datacenters: []string{dc},
		TaskGroups: []*api.TaskGroup{{
			Name:          api.PointerOf("g"),
			Count:         api.PointerOf(1),
			RestartPolicy: &api.RestartPolicy{Attempts: api.PointerOf(0), Mode: api.PointerOf("fail")},
			Tasks: []*api.Task{{
				Name:      "t",
				Driver:    "raw_exec",
				Config:    map[string]interface{}{"command": cmd[0], "args": cmd[1:]},
				Resources: &api.Resources{CPU: api.PointerOf(10), MemoryMB: api.PointerOf(16)},
			}},
		}},
	}
}

// serviceJob is a raw_exec service job of count allocations that each run
// for at most a few minutes, so nothing outlives a test for long.
func serviceJob(id string, count int) *api.Job {
	job := batchJob(id, "dc1", "/bin/sh", "-c", "sleep 300")
	job.Type = api.PointerOf("service")
	job.TaskGroups[0].Count = api.PointerOf(count)
	job.TaskGroups[0].RestartPolicy = nil
	return job
}

// allocations lists a job's allocations as a server sees them.
func allocations(n *clusterNode, jobID string) ([]api.AllocationListStub, error) {
	var out []api.AllocationListStub
	_, err := n.getJSON("/v1/job/"+jobID+"/allocations", &out)
	return out, err
}
