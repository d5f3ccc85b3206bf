package api

// RegisterEnforceIndexErrPrefix starts the error of a registration refused
// because the job's modify index was not the one the request enforced
// (RegisterOptions.EnforceIndex). Nomad's API and CLI spot the refusal by
// this text, so orch's server words it the same way.
const RegisterEnforceIndexErrPrefix = "Enforcing job modify index"
