package scheduler

import (
	"errors"
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ErrUnsupportedType is returned by NewScheduler for evaluation types this
// version cannot schedule yet.
var ErrUnsupportedType = errors.New("unsupported scheduler type")

var _ Factory = NewScheduler

// NewScheduler is the production Factory: it returns the generic scheduler
// for service and batch evaluations.
func NewScheduler(evalType string, cfg Config) (Scheduler, error) {
	switch evalType {
	case structs.JobTypeService, structs.JobTypeBatch:
		return NewGenericScheduler(cfg, evalType == structs.JobTypeBatch)
	case structs.JobTypeSystem, structs.JobTypeSysBatch:
		return nil, fmt.Errorf("scheduler type %q: %w: only %q and %q jobs are scheduled for now",
			evalType, ErrUnsupportedType, structs.JobTypeService, structs.JobTypeBatch)
	}
	return nil, fmt.Errorf("scheduler type %q: %w: valid types are %q and %q",
		evalType, ErrUnsupportedType, structs.JobTypeService, structs.JobTypeBatch)
}
