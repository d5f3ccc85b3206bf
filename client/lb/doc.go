// Package lb is the load balancer every client runs for the services that
// ask to be published (a service block's publish block, an orch
// extension): the client listens on the published port and proxies each
// TCP connection, or each HTTP request, to a passing instance of the
// service.
//
//	catalog ──blocking queries──▶ servicewatch.Watcher ──OnChange──▶ Manager
//	                                                                  │ per published service
//	listener :PORT ──▶ tcpProxy | httpProxy ──pick──▶ pool (passing instances)
//
// Only services the catalog's list marks Published (an instance has a
// publish block) are watched, so a client holds one blocking query per
// published service, not per service of the cluster.
//
// The pool is replaced live when the catalog changes, so an instance whose
// check fails leaves rotation as soon as the client registering it reports
// the failure. A dial that fails marks the instance down for a moment
// (DownFor) and the connection or request goes to the next instance, so
// instances that stop during a rolling update lose no request; HTTP
// requests whose transport fails before any body was sent are retried the
// same way when they are idempotent.
//
// Balancing is round_robin (default) or least_conn (fewest requests in
// flight through this client), optionally with client_affinity =
// "client_ip": rendezvous hashing of the client address over the passing
// instances keeps a client on one instance while that instance passes,
// and moves only the clients of an instance that leaves.
//
// Requests are counted per service and allocation (go-metrics counter
// orch.client.lb.requests) and RequestRates gives each allocation's recent
// requests per second, for the autoscaler.
package lb
