package structs

// Job version RPCs: history, revert and stability, with Nomad's request
// and response shapes.
const (
	JobGetJobVersionsRPC = "Job.GetJobVersions"
	JobRevertRPC         = "Job.Revert"
	JobStableRPC         = "Job.Stable"
)

// JobStabilityRequestType marks one version of a job stable or not: a
// deployment of it succeeded, or an operator said so.
const JobStabilityRequestType MessageType = 12

// JobVersionsRequest asks for the kept versions of a job.
type JobVersionsRequest struct {
	JobID string
	// Diffs asks for the change that led to each version.
	Diffs bool
	QueryOptions
}

// JobVersionsResponse lists versions newest first. With Diffs, Diffs[i]
// is the change from Versions[i+1] to Versions[i]; the oldest kept version
// has none.
type JobVersionsResponse struct {
	Versions []*Job
	Diffs    []*JobDiff
	QueryMeta
}

// JobRevertRequest registers an earlier version of a job again, as a new
// version.
type JobRevertRequest struct {
	JobID      string
	JobVersion uint64
	// EnforcePriorVersion, when set, refuses the revert unless the job's
	// current version is this one.
	EnforcePriorVersion *uint64
	WriteRequest
}

// JobStabilityRequest sets the Stable flag of one version of a job.
type JobStabilityRequest struct {
	JobID      string
	JobVersion uint64
	Stable     bool
	WriteRequest
}

// JobStabilityResponse answers a JobStabilityRequest.
type JobStabilityResponse struct {
	WriteMeta
}
