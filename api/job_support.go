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
