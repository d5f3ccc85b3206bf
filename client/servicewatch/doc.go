// Package servicewatch keeps a local, bounded copy of the service catalog
// for the agents' DNS server and the clients' load balancer.
//
// Answering a DNS query or proxying a request must not cost an RPC, so a
// Watcher holds the instances of every service it has been asked about and
// refreshes each one with its own blocking query against the servers'
// catalog (ServiceRegistration.GetService). The first lookup of a service
// fetches it synchronously; later ones read the cache. Services not read
// for a while are dropped when the cache is full (least recently used
// first), which stops their blocking queries.
//
// The catalog itself is reached through the small Catalog interface:
// RPCCatalog implements it over an agent's structs.RPCer, tests use fakes.
package servicewatch
