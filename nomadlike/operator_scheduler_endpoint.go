package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// SchedulerGetConfiguration answers the stored scheduler configuration.
// Before the leader has written one (it does when it takes office) the
// answer is the configuration the leader will write, at index 0.
func (op *Operator) SchedulerGetConfiguration(args *structs.GenericRequest, reply *structs.SchedulerConfigurationResponse) error {
	countRPC(structs.OperatorSchedulerGetConfigurationRPC)
	if handled, err := op.srv.forward(structs.OperatorSchedulerGetConfigurationRPC, args, args, reply); handled {
		return err
	}
	index, cfg, err := op.srv.fsm.State().SchedulerConfig(nil)
	if err != nil {
		return fmt.Errorf("scheduler get configuration: %w", err)
	}
	if cfg == nil {
		cfg = op.srv.defaultSchedulerConfig()
	}
	reply.SchedulerConfig = cfg.Copy()
	op.srv.setQueryMeta(&reply.QueryMeta)
	reply.Index = index
	return nil
}

// SchedulerSetConfiguration replaces the scheduler configuration; with
// args.CAS only if it is unchanged since args.Config.ModifyIndex. Updated
// tells whether it was written. Schedulers use it from their next
// evaluation on; placements already made are not revisited.
func (op *Operator) SchedulerSetConfiguration(args *structs.SchedulerSetConfigRequest, reply *structs.SchedulerSetConfigurationResponse) error {
	countRPC(structs.OperatorSchedulerSetConfigurationRPC)
	if err := args.Config.Validate(); err != nil {
		return fmt.Errorf("scheduler set configuration: %w", err)
	}
	if handled, err := op.srv.forward(structs.OperatorSchedulerSetConfigurationRPC, args, args, reply); handled {
		return err
	}
	index, resp, err := op.srv.raftApply(structs.SchedulerConfigRequestType, args)
	if err != nil {
		return fmt.Errorf("scheduler set configuration: %w", err)
	}
	updated, _ := resp.(bool)
	if updated {
		op.srv.logger.Info("scheduler configuration changed", "config", args.Config.String(), "index", index)
	}
	reply.Updated = updated
	reply.Index = index
	return nil
}

// defaultSchedulerConfig is what the leader stores when the cluster has no
// scheduler configuration: the agent's default_scheduler_config, else
// Nomad's defaults.
func (s *Server) defaultSchedulerConfig() *structs.SchedulerConfiguration {
	if s.config.DefaultSchedulerConfig != nil {
		return s.config.DefaultSchedulerConfig.Copy()
	}
	return structs.DefaultSchedulerConfig()
}

// initSchedulerConfig stores the default scheduler configuration once, on
// the first leader of a cluster, so every server's schedulers and the API
// see one configuration with a real index. A check-and-set against "none
// stored" keeps a configuration an operator set meanwhile.
func (s *Server) initSchedulerConfig() error {
	_, cfg, err := s.fsm.State().SchedulerConfig(nil)
	if err != nil {
		return fmt.Errorf("init scheduler configuration: %w", err)
	}
	if cfg != nil {
		return nil
	}
	req := &structs.SchedulerSetConfigRequest{Config: *s.defaultSchedulerConfig(), CAS: true}
	req.Config.ModifyIndex = 0
	if _, _, err := s.raftApply(structs.SchedulerConfigRequestType, req); err != nil {
		return fmt.Errorf("init scheduler configuration: %w", err)
	}
	s.logger.Info("stored the default scheduler configuration", "config", req.Config.String())
	return nil
}

// jobRegistrationAllowed refuses job registrations while the scheduler
// configuration rejects them. orch has no ACLs yet, so, as Nomad without
// ACLs, nobody is exempt.
func (s *Server) jobRegistrationAllowed() error {
	_, cfg, err := s.fsm.State().SchedulerConfig(nil)
	if err != nil {
		return err
	}
	if cfg != nil && cfg.RejectJobRegistration {
		return fmt.Errorf("%w: job registration is disabled by the scheduler configuration (RejectJobRegistration); "+
			"re-enable it with \"orch operator scheduler set-config -reject-job-registration=false\"", structs.ErrPermission)
	}
	return nil
}
