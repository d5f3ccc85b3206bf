package structs

import (
	"errors"
	"fmt"
)

// Validate checks a publish block; errors name the field and what would
// be valid. Two services of one job publishing one port are caught by
// ValidatePublishedPorts.
func (p *ServicePublish) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.Port < 1 || p.Port > 65535 {
		errs = append(errs, fmt.Errorf("publish.port %d is out of range: want 1 to 65535", p.Port))
	}
	switch p.Mode {
	case PublishModeTCP, PublishModeHTTP:
	default:
		errs = append(errs, fmt.Errorf("publish.mode %q is invalid: want %q or %q", p.Mode, PublishModeTCP, PublishModeHTTP))
	}
	switch p.Balance {
	case PublishBalanceRoundRobin, PublishBalanceLeastConn:
	default:
		errs = append(errs, fmt.Errorf("publish.balance %q is invalid: want %q or %q", p.Balance, PublishBalanceRoundRobin, PublishBalanceLeastConn))
	}
	switch p.ClientAffinity {
	case "", PublishAffinityClientIP:
	default:
		errs = append(errs, fmt.Errorf("publish.client_affinity %q is invalid: want %q or none", p.ClientAffinity, PublishAffinityClientIP))
	}
	return errors.Join(errs...)
}

// Copy returns a copy of p (nil for nil).
func (p *ServicePublish) Copy() *ServicePublish {
	if p == nil {
		return nil
	}
	cp := *p
	return &cp
}

// ValidatePublishedPorts reports services of one job that publish the
// same port under different names: every client has one listener per port.
// The same service name may appear in several groups (one service, several
// kinds of instances) as long as it publishes identically.
func ValidatePublishedPorts(services []*Service) error {
	byPort := map[int]*Service{}
	var errs []error
	for _, s := range services {
		if s == nil || s.Publish == nil {
			continue
		}
		first, ok := byPort[s.Publish.Port]
		switch {
		case !ok:
			byPort[s.Publish.Port] = s
		case first.Name != s.Name:
			errs = append(errs, fmt.Errorf("service %q: publish.port %d is already published by service %q", s.Name, s.Publish.Port, first.Name))
		case *first.Publish != *s.Publish:
			errs = append(errs, fmt.Errorf("service %q: publish blocks differ between its definitions", s.Name))
		}
	}
	return errors.Join(errs...)
}

// allServices lists the services of every group and task of the job.
func (j *Job) allServices() []*Service {
	var out []*Service
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		out = append(out, tg.Services...)
		for _, t := range tg.Tasks {
			if t != nil {
				out = append(out, t.Services...)
			}
		}
	}
	return out
}
