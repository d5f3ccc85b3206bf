package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	dnsmsg "github.com/miekg/dns"

	"github.com/orch-dev/orch/client/servicewatch"
)

// Config configures the DNS server.
type Config struct {
	// Addr is the IP to listen on (UDP and TCP); Port 0 picks a free one.
	Addr string
	Port int
	// Domain is the zone answered, "orch" by default.
	Domain string
	// TTL of every record and of negative answers.
	TTL time.Duration
	// QueryTimeout bounds the first (uncached) catalog read of a service.
	QueryTimeout time.Duration
	Watcher      *servicewatch.Watcher
	Logger       hclog.Logger
}

// Server answers DNS queries over UDP and TCP on one address.
type Server struct {
	cfg    Config
	domain string // fully qualified, lower case: "orch."
	logger hclog.Logger
	udp    *dnsmsg.Server
	tcp    *dnsmsg.Server
	addr   string
	wg     sync.WaitGroup
}

// New listens on cfg's address and starts answering.
func New(cfg Config) (*Server, error) {
	if cfg.Watcher == nil {
		return nil, errors.New("dns: no service watcher")
	}
	if cfg.Domain == "" {
		cfg.Domain = "orch"
	}
	if cfg.QueryTimeout == 0 {
		cfg.QueryTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	s := &Server{cfg: cfg, domain: dnsmsg.CanonicalName(cfg.Domain), logger: cfg.Logger.Named("dns")}
	host := net.JoinHostPort(cfg.Addr, strconv.Itoa(cfg.Port))
	tl, err := net.Listen("tcp", host)
	if err != nil {
		return nil, fmt.Errorf("dns: listen tcp %s: %w", host, err)
	}
	// UDP on the port TCP got, so port 0 yields one port for both.
	pc, err := net.ListenPacket("udp", tl.Addr().String())
	if err != nil {
		tl.Close()
		return nil, fmt.Errorf("dns: listen udp %s: %w", tl.Addr(), err)
	}
	s.addr = tl.Addr().String()
	mux := dnsmsg.NewServeMux()
	mux.HandleFunc(s.domain, s.handle)
	s.udp = &dnsmsg.Server{PacketConn: pc, Handler: mux}
	s.tcp = &dnsmsg.Server{Listener: tl, Handler: mux}
	for _, srv := range []*dnsmsg.Server{s.udp, s.tcp} {
		s.wg.Add(1)
		go func(srv *dnsmsg.Server) {
			defer s.wg.Done()
			if err := srv.ActivateAndServe(); err != nil {
				s.logger.Error("dns server stopped", "error", err)
			}
		}(srv)
	}
	s.logger.Info("dns server listening", "address", s.addr, "domain", s.domain)
	return s, nil
}

// Addr is the host:port the server answers on (UDP and TCP).
func (s *Server) Addr() string { return s.addr }

// Shutdown stops both listeners.
func (s *Server) Shutdown() error {
	err := errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
	s.wg.Wait()
	return err
}

func (s *Server) handle(w dnsmsg.ResponseWriter, req *dnsmsg.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.QueryTimeout)
	defer cancel()
	resp := s.answer(ctx, req)
	size := dnsmsg.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dnsmsg.MinMsgSize)
		resp.SetEdns0(uint16(size), false)
	}
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
		resp.Truncate(size)
	}
	if err := w.WriteMsg(resp); err != nil {
		s.logger.Debug("dns write failed", "error", err)
	}
}
