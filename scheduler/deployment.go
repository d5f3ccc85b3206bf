package scheduler

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DeploymentState is the part of State that knows deployments. It is a
// separate interface so state views written before deployments (test
// fakes) keep working: without it a job simply has no deployment.
type DeploymentState interface {
	// LatestDeploymentByJobID returns the job's newest deployment, or nil.
	LatestDeploymentByJobID(namespace, jobID string) (*structs.Deployment, error)
}

func latestDeployment(st State, namespace, jobID string) (*structs.Deployment, error) {
	ds, ok := st.(DeploymentState)
	if !ok {
		return nil, nil
	}
	d, err := ds.LatestDeploymentByJobID(namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("reading latest deployment of job: %w", err)
	}
	return d, nil
}

// canaryPlaced lists a placed canary in the plan's deployment, so the
// deployment created with it names its canaries from the start. The store
// lists committed canaries from their allocations too.
func (s *GenericScheduler) canaryPlaced(alloc *structs.Allocation) {
	d := s.plan.Deployment
	if d == nil || d.ID != alloc.DeploymentID {
		return
	}
	if st, ok := d.TaskGroups[alloc.TaskGroup]; ok {
		st.PlacedCanaries = append(st.PlacedCanaries, alloc.ID)
	}
}
