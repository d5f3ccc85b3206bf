package nomadlike

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/memberlist"
)

// DefaultSerfPort is Nomad's gossip port.
const DefaultSerfPort = 4648

// Tags every server puts in its gossip meta. Other servers read them to
// bootstrap Raft and to add the server as a voter.
const (
	tagRole      = "role"
	tagRegion    = "region"
	tagDC        = "dc"
	tagID        = "id"
	tagRPCAddr   = "rpc_addr"
	tagPort      = "port"
	tagBuild     = "build"
	tagExpect    = "expect"
	tagRaftVsn   = "raft_vsn"
	roleServer   = "server"
	raftProtocol = "3"
)

const (
	defaultRetryInterval = 30 * time.Second
	// firstRetryDelay is the first pause between join attempts; it
	// doubles up to the retry interval, so a server that starts before
	// its peers finds them quickly without hammering an absent address.
	firstRetryDelay = 500 * time.Millisecond
	// gossipLeaveTimeout bounds how long a leave waits for its broadcast.
	gossipLeaveTimeout = 5 * time.Second
)

// GossipConfig configures a server's membership in the gossip pool of its
// region's servers.
type GossipConfig struct {
	// BindAddr is where memberlist listens, TCP and UDP on the same port;
	// port 0 picks a free one. Nil runs no gossip, which only a lone
	// server (BootstrapExpect 1) may do.
	BindAddr *net.TCPAddr
	// Advertise is the address other servers reach this one's gossip at;
	// default the bound address.
	Advertise *net.TCPAddr
	// EncryptKey, base64 of 16, 24 or 32 bytes, encrypts gossip; servers
	// with another key cannot join.
	EncryptKey string
	// RetryJoin lists servers to join, host or host:port (DefaultPort
	// when the port is missing). Attempts repeat with backoff up to
	// RetryInterval until one succeeds.
	RetryJoin     []string
	RetryInterval time.Duration
	// RetryMax stops retrying after that many failed attempts; 0 retries
	// until shutdown.
	RetryMax int
	// DefaultPort is the port join addresses without one get (default
	// DefaultSerfPort).
	DefaultPort int
	// Tune, when set, adjusts the memberlist configuration last; tests use
	// it for short probe and suspicion intervals.
	Tune func(*memberlist.Config)

	key []byte
}

func (g *GossipConfig) withDefaults() error {
	if g.RetryInterval <= 0 {
		g.RetryInterval = defaultRetryInterval
	}
	if g.DefaultPort <= 0 {
		g.DefaultPort = DefaultSerfPort
	}
	if g.RetryMax < 0 {
		return fmt.Errorf("config: Gossip.RetryMax %d: want 0 (retry until joined) or more", g.RetryMax)
	}
	if g.EncryptKey == "" {
		return nil
	}
	key, err := DecodeGossipKey(g.EncryptKey)
	if err != nil {
		return fmt.Errorf("config: encrypt: %w", err)
	}
	g.key = key
	return nil
}

// DecodeGossipKey decodes a gossip encryption key: base64 of 16, 24 or 32
// bytes, as `nomad operator gossip keyring generate` prints.
func DecodeGossipKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("key is not valid base64: %w", err)
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	}
	return nil, fmt.Errorf("key is %d bytes long: want 16, 24 or 32 bytes (AES-128, -192 or -256), base64-encoded", len(key))
}

// MemberStatus is how gossip last saw a server.
type MemberStatus string

// Member statuses, as Nomad reports them.
const (
	MemberAlive  MemberStatus = "alive"
	MemberFailed MemberStatus = "failed"
	MemberLeft   MemberStatus = "left"
)

// Member is one server of the gossip pool, alive or not.
type Member struct {
	Name   string
	Addr   net.IP
	Port   uint16
	Tags   map[string]string
	Status MemberStatus
	// Protocol versions memberlist speaks, and those of its delegate.
	ProtocolMin, ProtocolMax, ProtocolCur uint8
	DelegateMin, DelegateMax, DelegateCur uint8
	// Since is when Status last changed, by this server's clock.
	Since time.Time
}

// serverInfo is what a member's tags say about it as a server.
type serverInfo struct {
	Name    string
	ID      string
	Region  string
	DC      string
	RPCAddr string
	Expect  int
	Status  MemberStatus
	Since   time.Time
}

// serverInfoOf reads a member's tags; ok is false for members that are not
// orch servers or whose tags are incomplete.
func serverInfoOf(m Member) (serverInfo, bool) {
	if m.Tags[tagRole] != roleServer || m.Tags[tagID] == "" || m.Tags[tagRPCAddr] == "" {
		return serverInfo{}, false
	}
	expect, err := strconv.Atoi(m.Tags[tagExpect])
	if err != nil {
		return serverInfo{}, false
	}
	return serverInfo{
		Name: m.Name, ID: m.Tags[tagID], Region: m.Tags[tagRegion], DC: m.Tags[tagDC],
		RPCAddr: m.Tags[tagRPCAddr], Expect: expect, Status: m.Status, Since: m.Since,
	}, true
}

// gossip runs memberlist for a server and keeps every member it has seen,
// including failed and left ones, which memberlist itself forgets.
type gossip struct {
	logger hclog.Logger
	region string
	meta   []byte
	list   *memberlist.Memberlist

	mu      sync.Mutex
	members map[string]*Member
	// refused remembers servers already reported as being of another
	// region, so their repeated gossip is not logged every time.
	refused map[string]bool
	// leaving holds members that announced they are leaving for good:
	// memberlist's leave callback does not say whether a member left or
	// died, so a leaving server says so first.
	leaving map[string]bool
	// changed is closed and replaced on every membership change.
	changed chan struct{}
}

var (
	_ memberlist.Delegate      = (*gossip)(nil)
	_ memberlist.EventDelegate = (*gossip)(nil)
	_ memberlist.AliveDelegate = (*gossip)(nil)
	_ memberlist.MergeDelegate = (*gossip)(nil)
)

// newGossip starts memberlist on cfg.Gossip.BindAddr with tags describing
// this server.
func newGossip(cfg *Config, id string, rpcAddr net.Addr, logger hclog.Logger) (*gossip, error) {
	g := &gossip{
		logger:  logger.Named("gossip"),
		region:  cfg.Region,
		members: make(map[string]*Member),
		refused: make(map[string]bool),
		leaving: make(map[string]bool),
		changed: make(chan struct{}),
	}
	_, rpcPort, _ := net.SplitHostPort(rpcAddr.String())
	tags := map[string]string{
		tagRole: roleServer, tagRegion: cfg.Region, tagDC: cfg.Datacenter, tagID: id,
		tagRPCAddr: rpcAddr.String(), tagPort: rpcPort, tagBuild: cfg.Build,
		tagExpect: strconv.Itoa(cfg.BootstrapExpect), tagRaftVsn: raftProtocol,
	}
	meta, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("gossip: encode tags: %w", err)
	}
	if len(meta) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("gossip: tags take %d bytes, memberlist allows %d: shorten the node name, region or datacenter",
			len(meta), memberlist.MetaMaxSize)
	}
	g.meta = meta

	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.NodeName + "." + cfg.Region
	mc.BindAddr = cfg.Gossip.BindAddr.IP.String()
	mc.BindPort = cfg.Gossip.BindAddr.Port
	if adv := cfg.Gossip.Advertise; adv != nil {
		mc.AdvertiseAddr = adv.IP.String()
		mc.AdvertisePort = adv.Port
		if adv.Port == 0 {
			mc.AdvertisePort = mc.BindPort
		}
	} else {
		mc.AdvertisePort = mc.BindPort
	}
	mc.SecretKey = cfg.Gossip.key
	mc.Delegate, mc.Events, mc.Alive, mc.Merge = g, g, g, g
	mc.Logger = g.logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	if cfg.Gossip.Tune != nil {
		cfg.Gossip.Tune(mc)
	}
	list, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: start memberlist on %s: %w", cfg.Gossip.BindAddr, err)
	}
	g.list = list
	return g, nil
}

// Addr is the address other servers join this one at.
func (g *gossip) Addr() string {
	return g.list.LocalNode().Address()
}

// join contacts the given addresses; it reports how many answered.
func (g *gossip) join(addrs []string) (int, error) {
	return g.list.Join(addrs)
}

// leave tells the pool this server is going away for good, so the others
// mark it left instead of failed: first an intent to every live member,
// then memberlist's leave.
func (g *gossip) leave() error {
	self := g.list.LocalNode().Name
	g.mu.Lock()
	g.leaving[self] = true
	g.mu.Unlock()
	msg := append([]byte{msgLeaveIntent}, self...)
	for _, n := range g.list.Members() {
		if n.Name == self {
			continue
		}
		if err := g.list.SendReliable(n, msg); err != nil {
			g.logger.Warn("could not announce leaving", "member", n.Name, "error", err)
		}
	}
	if err := g.list.Leave(gossipLeaveTimeout); err != nil {
		return fmt.Errorf("gossip: leave: %w", err)
	}
	return nil
}

func (g *gossip) shutdown() error {
	if err := g.list.Shutdown(); err != nil {
		return fmt.Errorf("gossip: shutdown: %w", err)
	}
	return nil
}

// Members returns a copy of every member seen, sorted by name.
func (g *gossip) Members() []Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Member, 0, len(g.members))
	for _, m := range g.members {
		c := *m
		c.Tags = make(map[string]string, len(m.Tags))
		for k, v := range m.Tags {
			c.Tags[k] = v
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// servers returns the members that are orch servers of this region.
func (g *gossip) servers() []serverInfo {
	var out []serverInfo
	for _, m := range g.Members() {
		if s, ok := serverInfoOf(m); ok && s.Region == g.region {
			out = append(out, s)
		}
	}
	return out
}

// changedCh is closed at the next membership change.
func (g *gossip) changedCh() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.changed
}

// record stores a member's new state and wakes the waiters.
func (g *gossip) record(n *memberlist.Node, status MemberStatus) {
	tags, err := decodeTags(n.Meta)
	if err != nil {
		g.logger.Warn("ignoring member with unreadable tags", "member", n.Name, "error", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.members[n.Name]
	m := &Member{
		Name: n.Name, Addr: slices.Clone(n.Addr), Port: n.Port, Tags: tags, Status: status,
		ProtocolMin: n.PMin, ProtocolMax: n.PMax, ProtocolCur: n.PCur,
		DelegateMin: n.DMin, DelegateMax: n.DMax, DelegateCur: n.DCur,
		Since: time.Now(),
	}
	if prev != nil && prev.Status == status {
		m.Since = prev.Since
	}
	g.members[n.Name] = m
	close(g.changed)
	g.changed = make(chan struct{})
}

func decodeTags(meta []byte) (map[string]string, error) {
	tags := map[string]string{}
	if len(meta) == 0 {
		return tags, nil
	}
	if err := json.Unmarshal(meta, &tags); err != nil {
		return nil, fmt.Errorf("decode gossip tags: %w", err)
	}
	return tags, nil
}

// NodeMeta hands memberlist this server's tags.
func (g *gossip) NodeMeta(limit int) []byte { return g.meta }

// msgLeaveIntent starts the one message servers send each other besides
// membership: "I am leaving for good", followed by the member name.
const msgLeaveIntent byte = 1

// NotifyMsg records a leave intent.
func (g *gossip) NotifyMsg(buf []byte) {
	if len(buf) < 2 || buf[0] != msgLeaveIntent {
		return
	}
	g.mu.Lock()
	g.leaving[string(buf[1:])] = true
	g.mu.Unlock()
}

// The servers' state is all in their tags, so the other hooks of
// memberlist.Delegate are empty.
func (g *gossip) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (g *gossip) LocalState(join bool) []byte                { return nil }
func (g *gossip) MergeRemoteState(buf []byte, join bool)     {}

// NotifyJoin records a member that came alive.
func (g *gossip) NotifyJoin(n *memberlist.Node) {
	g.logger.Info("member joined", "member", n.Name, "addr", n.Address())
	g.mu.Lock()
	delete(g.leaving, n.Name)
	g.mu.Unlock()
	g.record(n, MemberAlive)
}

// NotifyLeave records a member that left on purpose or was found dead.
func (g *gossip) NotifyLeave(n *memberlist.Node) {
	g.mu.Lock()
	status := MemberFailed
	if g.leaving[n.Name] || n.State == memberlist.StateLeft {
		status = MemberLeft
	}
	delete(g.leaving, n.Name)
	g.mu.Unlock()
	g.logger.Info("member gone", "member", n.Name, "status", string(status))
	g.record(n, status)
}

// NotifyUpdate records a member whose tags changed.
func (g *gossip) NotifyUpdate(n *memberlist.Node) {
	g.record(n, MemberAlive)
}

// NotifyAlive keeps servers of other regions and non-servers out of the
// pool, however they reach it: a join, or gossip relayed by a third node.
func (g *gossip) NotifyAlive(n *memberlist.Node) error {
	return g.admit(n)
}

// NotifyMerge refuses a join that would merge this pool with one holding
// a server of another region, so the joining side gets an error.
func (g *gossip) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if err := g.admit(p); err != nil {
			return err
		}
	}
	return nil
}

// errOtherRegion marks a refusal because of the region tag.
var errOtherRegion = errors.New("server of another region")

func (g *gossip) admit(n *memberlist.Node) error {
	tags, err := decodeTags(n.Meta)
	if err != nil {
		return err
	}
	if tags[tagRole] != roleServer {
		return fmt.Errorf("%s is not an orch server (role %q)", n.Name, tags[tagRole])
	}
	if region := tags[tagRegion]; region != g.region {
		g.mu.Lock()
		first := !g.refused[n.Name]
		g.refused[n.Name] = true
		g.mu.Unlock()
		if first {
			g.logger.Error(fmt.Sprintf("refusing server %s from region %q: this server is in region %q", n.Name, region, g.region),
				"member", n.Name, "addr", n.Address())
		}
		return fmt.Errorf("%w: %s is in region %q, this pool is region %q", errOtherRegion, n.Name, region, g.region)
	}
	return nil
}

// joinHint says what most likely made a join fail, for the log line.
func joinHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, errOtherRegion.Error()):
		return "refused: the servers there are of another region"
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "i/o timeout"),
		strings.Contains(msg, "no such host"), strings.Contains(msg, "no route to host"):
		return "nothing answered: check the address and the serf port"
	default:
		return "check the encrypt key: every server needs the same one"
	}
}

// joinAddrs gives each address without a port the default gossip port.
func joinAddrs(addrs []string, port int) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(strings.Trim(a, "[]"), strconv.Itoa(port))
		}
		out = append(out, a)
	}
	return out
}
