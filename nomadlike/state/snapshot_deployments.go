package state

import "github.com/orch-dev/orch/nomadlike/structs"

// LatestDeploymentByJobID returns the job's newest deployment, or nil; the
// scheduler reads it to advance or supersede a rollout.
func (s *StateSnapshot) LatestDeploymentByJobID(namespace, jobID string) (*structs.Deployment, error) {
	return s.store.LatestDeploymentByJobID(nil, namespace, jobID)
}
