// Package fingerprint discovers what a client node is and offers: CPU,
// memory, disk, kernel and OS, hostname and address. The results become
// node attributes (the names Nomad uses, so constraints in existing
// jobspecs keep working) and the node's schedulable resources. Driver
// fingerprints are not here: drivers report themselves through the
// driver API and the client merges them.
package fingerprint
