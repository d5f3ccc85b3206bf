package scheduler

import (
	"errors"
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ErrUnsupportedType is returned by NewScheduler for evaluation types it
// does not know.
var ErrUnsupportedType = errors.New("unsupported scheduler type")

var _ Factory = NewScheduler

// NewScheduler is the production Factory: the generic scheduler for
// service and batch evaluations, the system scheduler for system and
// sysbatch ones.
func NewScheduler(evalType string, cfg Config) (Scheduler, error) {
	switch evalType {
	case structs.JobTypeService, structs.JobTypeBatch:
		return NewGenericScheduler(cfg, evalType == structs.JobTypeBatch)
	case structs.JobTypeSystem, structs.JobTypeSysBatch:
		return NewSystemScheduler(cfg, evalType == structs.JobTypeSysBatch)
	}
	return nil, fmt.Errorf("scheduler type %q: %w: valid types are %q, %q, %q and %q",
		evalType, ErrUnsupportedType, structs.JobTypeService, structs.JobTypeBatch,
		structs.JobTypeSystem, structs.JobTypeSysBatch)
}
