package api

// UnsupportedJobType reports a job type orch parses but cannot schedule;
// every type jobspec accepts is scheduled now, so it refuses none.
//
// Deprecated: the jobspec parser still calls it; the server and the HTTP
// layer no longer do. Remove it once jobspec/job.go drops the call.
func UnsupportedJobType(string) error { return nil }

// RegisterEnforceIndexErrPrefix starts the error of a registration refused
// because the job's modify index was not the one the request enforced
// (RegisterOptions.EnforceIndex). Nomad's API and CLI spot the refusal by
// this text, so orch's server words it the same way.
const RegisterEnforceIndexErrPrefix = "Enforcing job modify index"
