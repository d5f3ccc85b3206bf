package api

import "fmt"

// UnsupportedJobType reports the job types orch parses but cannot schedule
// yet (issue 5), nil for the others. The jobspec parser, the HTTP layer and
// the server all ask this one function, so validation and registration
// give the same answer and lifting the restriction is a single edit.
func UnsupportedJobType(jobType string) error {
	switch jobType {
	case JobTypeSystem, JobTypeSysBatch:
		return fmt.Errorf("type %q is not supported by orch yet: use %q or %q", jobType, JobTypeService, JobTypeBatch)
	}
	return nil
}

// RegisterEnforceIndexErrPrefix starts the error of a registration refused
// because the job's modify index was not the one the request enforced
// (RegisterOptions.EnforceIndex). Nomad's API and CLI spot the refusal by
// this text, so orch's server words it the same way.
const RegisterEnforceIndexErrPrefix = "Enforcing job modify index"
