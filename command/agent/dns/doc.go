// Package dns is the DNS interface every orch agent (server or client)
// offers to the service catalog, in the spirit of Consul's:
//
//	NAME.service.DOMAIN.             A / AAAA / SRV, default namespace
//	NAME.service.NAMESPACE.DOMAIN.   the same in another namespace
//	ALLOC.alloc.DOMAIN.              A / AAAA of one instance (SRV targets)
//
// Only passing instances are answered, shuffled for every answer so
// resolvers that take the first record spread their load. A service the
// catalog does not know is NXDOMAIN; a known service with no passing
// instance is an empty NOERROR answer; both carry the zone's SOA in the
// authority section so resolvers cache the negative answer for the TTL.
//
// Queries are answered from a servicewatch.Watcher: the first query for a
// service fetches it, later ones read the local copy kept current by
// blocking queries, so a DNS query costs no RPC.
package dns
