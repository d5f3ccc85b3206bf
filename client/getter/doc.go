// Package getter fetches a task's artifacts into its task directory before
// the task starts: a file or archive over HTTP(S), checked against the
// checksum the jobspec gives, and archives (.tar, .tar.gz/.tgz, .zip)
// unpacked.
//
// It is built on the standard library rather than hashicorp/go-getter,
// which Nomad uses: go-getter links the AWS and Google Cloud SDKs (its S3
// and GCS getters are always registered) into every binary that imports
// it, while orch only fetches over HTTP(S). net/http, archive/tar,
// archive/zip, compress/gzip and crypto cover that.
//
// Nothing an artifact holds may leave the task directory: destinations
// are resolved inside it, and archive entries whose names or link targets
// climb out ("../x", absolute paths, symlinks pointing away) fail the
// download instead of being written.
package getter
