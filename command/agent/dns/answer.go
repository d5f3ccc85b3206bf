package dns

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"

	dnsmsg "github.com/miekg/dns"

	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// shortAllocLen is how much of an allocation ID names an SRV target: the
// CLI's short IDs, unique enough within one service.
const shortAllocLen = 8

// query is a parsed question name.
type query struct {
	kind    string // "service", "alloc" or "" (not ours)
	id      servicewatch.ServiceID
	allocID string
}

// parse splits a question name inside the zone into what it asks for.
func (s *Server) parse(name string) query {
	name = strings.ToLower(dnsmsg.CanonicalName(name))
	rest, ok := strings.CutSuffix(name, "."+s.domain)
	if !ok {
		return query{}
	}
	labels := strings.Split(rest, ".")
	switch {
	case len(labels) == 2 && labels[1] == "service":
		return query{kind: "service", id: servicewatch.ServiceID{Namespace: structs.DefaultNamespace, Name: labels[0]}}
	case len(labels) == 3 && labels[1] == "service":
		return query{kind: "service", id: servicewatch.ServiceID{Namespace: labels[2], Name: labels[0]}}
	case len(labels) == 2 && labels[1] == "alloc":
		return query{kind: "alloc", allocID: labels[0]}
	}
	return query{}
}

func (s *Server) ttl() uint32 { return uint32(s.cfg.TTL.Seconds()) }

// answer builds the response to one request.
func (s *Server) answer(ctx context.Context, req *dnsmsg.Msg) *dnsmsg.Msg {
	resp := new(dnsmsg.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.Compress = true
	if len(req.Question) != 1 {
		resp.Rcode = dnsmsg.RcodeFormatError
		return resp
	}
	q := req.Question[0]
	parsed := s.parse(q.Name)
	switch parsed.kind {
	case "service":
		insts, err := s.cfg.Watcher.Instances(ctx, parsed.id)
		if err != nil {
			s.logger.Warn("service lookup failed", "service", parsed.id.Name, "namespace", parsed.id.Namespace, "error", err)
			resp.Rcode = dnsmsg.RcodeServerFailure
			return resp
		}
		if len(insts) == 0 {
			return s.negative(resp, dnsmsg.RcodeNameError)
		}
		s.serviceRecords(resp, q, servicewatch.Passing(insts))
	case "alloc":
		inst := s.findAlloc(parsed.allocID)
		if inst == nil {
			return s.negative(resp, dnsmsg.RcodeNameError)
		}
		if rr := s.addrRecord(q.Name, q.Qtype, inst.Address); rr != nil {
			resp.Answer = append(resp.Answer, rr)
		}
	default:
		return s.negative(resp, dnsmsg.RcodeNameError)
	}
	if len(resp.Answer) == 0 {
		s.negative(resp, dnsmsg.RcodeSuccess)
	}
	return resp
}

// negative sets rcode and the zone's SOA, whose minimum TTL tells
// resolvers how long to cache the absence.
func (s *Server) negative(resp *dnsmsg.Msg, rcode int) *dnsmsg.Msg {
	resp.Rcode = rcode
	resp.Ns = []dnsmsg.RR{&dnsmsg.SOA{
		Hdr:     dnsmsg.RR_Header{Name: s.domain, Rrtype: dnsmsg.TypeSOA, Class: dnsmsg.ClassINET, Ttl: s.ttl()},
		Ns:      "ns." + s.domain,
		Mbox:    "hostmaster." + s.domain,
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  s.ttl(),
	}}
	return resp
}

// serviceRecords answers A, AAAA, SRV (or ANY) for the passing instances,
// in a fresh random order.
func (s *Server) serviceRecords(resp *dnsmsg.Msg, q dnsmsg.Question, passing []*structs.ServiceRegistration) {
	order := rand.Perm(len(passing))
	for _, i := range order {
		inst := passing[i]
		switch q.Qtype {
		case dnsmsg.TypeSRV:
			target := s.allocName(inst)
			resp.Answer = append(resp.Answer, &dnsmsg.SRV{
				Hdr:      dnsmsg.RR_Header{Name: q.Name, Rrtype: dnsmsg.TypeSRV, Class: dnsmsg.ClassINET, Ttl: s.ttl()},
				Priority: 1, Weight: 1, Port: uint16(inst.Port), Target: target,
			})
			if rr := s.addrRecord(target, dnsmsg.TypeANY, inst.Address); rr != nil {
				resp.Extra = append(resp.Extra, rr)
			}
		case dnsmsg.TypeA, dnsmsg.TypeAAAA, dnsmsg.TypeANY:
			if rr := s.addrRecord(q.Name, q.Qtype, inst.Address); rr != nil {
				resp.Answer = append(resp.Answer, rr)
			}
		}
	}
}

// addrRecord is an A or AAAA record for addr, or nil when addr is not an
// IP of the asked type (qtype ANY takes either).
func (s *Server) addrRecord(name string, qtype uint16, addr string) dnsmsg.RR {
	ip := net.ParseIP(addr)
	if ip == nil {
		return nil
	}
	hdr := dnsmsg.RR_Header{Name: name, Class: dnsmsg.ClassINET, Ttl: s.ttl()}
	if v4 := ip.To4(); v4 != nil {
		if qtype != dnsmsg.TypeA && qtype != dnsmsg.TypeANY {
			return nil
		}
		hdr.Rrtype = dnsmsg.TypeA
		return &dnsmsg.A{Hdr: hdr, A: v4}
	}
	if qtype != dnsmsg.TypeAAAA && qtype != dnsmsg.TypeANY {
		return nil
	}
	hdr.Rrtype = dnsmsg.TypeAAAA
	return &dnsmsg.AAAA{Hdr: hdr, AAAA: ip}
}

// allocName is the SRV target of an instance: ALLOC8.alloc.DOMAIN.
func (s *Server) allocName(inst *structs.ServiceRegistration) string {
	id := strings.ToLower(inst.AllocID)
	if id == "" {
		id = strings.ToLower(inst.ID)
	}
	if len(id) > shortAllocLen {
		id = id[:shortAllocLen]
	}
	return id + ".alloc." + s.domain
}

// findAlloc finds a passing cached instance whose allocation ID starts
// with prefix: SRV targets are resolved after their service was, so the
// instance is in the cache.
func (s *Server) findAlloc(prefix string) *structs.ServiceRegistration {
	if prefix == "" {
		return nil
	}
	for _, insts := range s.cfg.Watcher.Cached() {
		for _, inst := range servicewatch.Passing(insts) {
			id := inst.AllocID
			if id == "" {
				id = inst.ID
			}
			if strings.HasPrefix(strings.ToLower(id), prefix) {
				return inst
			}
		}
	}
	return nil
}
