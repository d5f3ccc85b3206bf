package agent

import (
	"slices"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func convertPeriodic(in *api.PeriodicConfig) *structs.PeriodicConfig {
	if in == nil {
		return nil
	}
	return &structs.PeriodicConfig{
		Enabled:         deref(in.Enabled),
		Spec:            deref(in.Spec),
		Specs:           slices.Clone(in.Specs),
		SpecType:        deref(in.SpecType),
		ProhibitOverlap: deref(in.ProhibitOverlap),
		TimeZone:        deref(in.TimeZone),
	}
}

func convertParameterized(in *api.ParameterizedJobConfig) *structs.ParameterizedJobConfig {
	if in == nil {
		return nil
	}
	return &structs.ParameterizedJobConfig{
		Payload:      in.Payload,
		MetaRequired: slices.Clone(in.MetaRequired),
		MetaOptional: slices.Clone(in.MetaOptional),
	}
}

func convertDispatchPayload(in *api.DispatchPayloadConfig) *structs.DispatchPayloadConfig {
	if in == nil {
		return nil
	}
	return &structs.DispatchPayloadConfig{File: in.File}
}
