package dns_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	dnsmsg "github.com/miekg/dns"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/command/agent/dns"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func inst(alloc, name, ns, addr string, port int, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: "_" + alloc, ServiceName: name, Namespace: ns, AllocID: alloc, Address: addr, Port: port, Status: status}
}

// start serves a catalog with web (2 passing, 1 critical), down (only
// critical), api in namespace prod and v6 (an IPv6 instance).
func start(t *testing.T) (*dns.Server, *servicewatchtest.Catalog) {
	t.Helper()
	cat := servicewatchtest.New()
	cat.Upsert(
		inst("aaaaaaaa-1111", "web", "default", "127.0.0.11", 8001, structs.HealthPassing),
		inst("bbbbbbbb-2222", "web", "default", "127.0.0.12", 8002, structs.HealthPassing),
		inst("cccccccc-3333", "web", "default", "127.0.0.13", 8003, structs.HealthCritical),
		inst("dddddddd-4444", "down", "default", "127.0.0.14", 8004, structs.HealthCritical),
		inst("eeeeeeee-5555", "api", "prod", "127.0.0.15", 8005, structs.HealthPassing),
		inst("ffffffff-6666", "v6", "default", "::1", 8006, structs.HealthPassing),
	)
	w := servicewatch.New(servicewatch.Config{Catalog: cat})
	t.Cleanup(w.Stop)
	srv, err := dns.New(dns.Config{Addr: "127.0.0.1", Port: 0, Watcher: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return srv, cat
}

func ask(t *testing.T, srv *dns.Server, net, name string, qtype uint16) *dnsmsg.Msg {
	t.Helper()
	m := new(dnsmsg.Msg)
	m.SetQuestion(name, qtype)
	c := &dnsmsg.Client{Net: net}
	resp, _, err := c.Exchange(m, srv.Addr())
	if err != nil {
		t.Fatalf("%s %s: %v", name, dnsmsg.TypeToString[qtype], err)
	}
	return resp
}

func records(rrs []dnsmsg.RR) []string {
	var out []string
	for _, rr := range rrs {
		switch r := rr.(type) {
		case *dnsmsg.A:
			out = append(out, r.A.String())
		case *dnsmsg.AAAA:
			out = append(out, r.AAAA.String())
		case *dnsmsg.SRV:
			out = append(out, r.Target+":"+itoa(r.Port))
		}
	}
	sort.Strings(out)
	return out
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestDNSAnswers(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	cases := []struct {
		name, q string
		qtype   uint16
		net     string
		rcode   int
		answer  []string
		extra   []string
		soa     bool
	}{
		{"A passing only", "web.service.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeSuccess, []string{"127.0.0.11", "127.0.0.12"}, nil, false},
		{"A over tcp", "WEB.service.orch.", dnsmsg.TypeA, "tcp", dnsmsg.RcodeSuccess, []string{"127.0.0.11", "127.0.0.12"}, nil, false},
		{"SRV passing only", "web.service.orch.", dnsmsg.TypeSRV, "udp", dnsmsg.RcodeSuccess,
			[]string{"aaaaaaaa.alloc.orch.:8001", "bbbbbbbb.alloc.orch.:8002"}, []string{"127.0.0.11", "127.0.0.12"}, false},
		{"namespace", "api.service.prod.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeSuccess, []string{"127.0.0.15"}, nil, false},
		{"other namespace hidden", "api.service.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeNameError, nil, nil, true},
		{"AAAA", "v6.service.orch.", dnsmsg.TypeAAAA, "udp", dnsmsg.RcodeSuccess, []string{"::1"}, nil, false},
		{"A of a v6 service is empty", "v6.service.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeSuccess, nil, nil, true},
		{"unknown service", "nope.service.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeNameError, nil, nil, true},
		{"no passing instance", "down.service.orch.", dnsmsg.TypeSRV, "udp", dnsmsg.RcodeSuccess, nil, nil, true},
		{"SRV target resolves", "bbbbbbbb.alloc.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeSuccess, []string{"127.0.0.12"}, nil, false},
		{"critical target hidden", "cccccccc.alloc.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeNameError, nil, nil, true},
		{"other name in zone", "foo.bar.orch.", dnsmsg.TypeA, "udp", dnsmsg.RcodeNameError, nil, nil, true},
	}
	// SRV targets are resolved from services already asked about.
	ask(t, srv, "udp", "web.service.orch.", dnsmsg.TypeA)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := ask(t, srv, tc.net, tc.q, tc.qtype)
			if resp.Rcode != tc.rcode {
				t.Fatalf("rcode %s, want %s", dnsmsg.RcodeToString[resp.Rcode], dnsmsg.RcodeToString[tc.rcode])
			}
			if got := records(resp.Answer); strings.Join(got, ",") != strings.Join(tc.answer, ",") {
				t.Errorf("answer %v, want %v", got, tc.answer)
			}
			if got := records(resp.Extra); strings.Join(got, ",") != strings.Join(tc.extra, ",") {
				t.Errorf("additional %v, want %v", got, tc.extra)
			}
			hasSOA := len(resp.Ns) == 1 && resp.Ns[0].Header().Rrtype == dnsmsg.TypeSOA
			if hasSOA != tc.soa {
				t.Errorf("authority %v, want SOA %v", resp.Ns, tc.soa)
			}
			if !resp.Authoritative {
				t.Error("answer not authoritative")
			}
		})
	}
}

func TestDNSShufflesAndFollowsCatalog(t *testing.T) {
	t.Parallel()
	srv, cat := start(t)
	orders := map[string]bool{}
	for i := 0; i < 50 && len(orders) < 2; i++ {
		resp := ask(t, srv, "udp", "web.service.orch.", dnsmsg.TypeA)
		var order []string
		for _, rr := range resp.Answer {
			order = append(order, rr.(*dnsmsg.A).A.String())
		}
		orders[strings.Join(order, ",")] = true
	}
	if len(orders) < 2 {
		t.Fatalf("50 answers all in one order: %v", orders)
	}
	queries := cat.Queries()
	for i := 0; i < 20; i++ {
		ask(t, srv, "udp", "web.service.orch.", dnsmsg.TypeA)
	}
	// The watch's blocking query may have returned once meanwhile; the 20
	// answers themselves cost nothing.
	if n := cat.Queries() - queries; n > 1 {
		t.Errorf("20 cached answers made %d catalog queries", n)
	}

	cat.SetStatus("_cccccccc-3333", structs.HealthPassing)
	pollUntil(t, "third instance in answers", func() bool {
		return len(ask(t, srv, "udp", "web.service.orch.", dnsmsg.TypeA).Answer) == 3
	})
}

// TestDNSTruncatesOverUDP: a service with more instances than fit in 512
// bytes is truncated over UDP (the resolver retries over TCP) and whole
// over TCP or with a large EDNS0 buffer.
func TestDNSTruncatesOverUDP(t *testing.T) {
	t.Parallel()
	cat := servicewatchtest.New()
	for i := 0; i < 60; i++ {
		cat.Upsert(inst(strconv.Itoa(10000000+i), "big", "default", "127.0.1."+strconv.Itoa(i), 9000+i, structs.HealthPassing))
	}
	w := servicewatch.New(servicewatch.Config{Catalog: cat})
	t.Cleanup(w.Stop)
	srv, err := dns.New(dns.Config{Addr: "127.0.0.1", Watcher: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	udp := ask(t, srv, "udp", "big.service.orch.", dnsmsg.TypeSRV)
	if !udp.Truncated || len(udp.Answer) >= 60 {
		t.Errorf("udp answer: truncated %v with %d records", udp.Truncated, len(udp.Answer))
	}
	if tcp := ask(t, srv, "tcp", "big.service.orch.", dnsmsg.TypeSRV); tcp.Truncated || len(tcp.Answer) != 60 || len(tcp.Extra) != 60 {
		t.Errorf("tcp answer: truncated %v with %d records, %d additional", tcp.Truncated, len(tcp.Answer), len(tcp.Extra))
	}
	m := new(dnsmsg.Msg)
	m.SetQuestion("big.service.orch.", dnsmsg.TypeA)
	m.SetEdns0(4096, false)
	resp, _, err := (&dnsmsg.Client{Net: "udp", UDPSize: 4096}).Exchange(m, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Truncated || len(resp.Answer) != 60 || resp.IsEdns0() == nil {
		t.Errorf("edns0 answer: truncated %v with %d records, opt %v", resp.Truncated, len(resp.Answer), resp.IsEdns0())
	}
}
