package agent

import (
	"maps"
	"slices"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertServices converts canonical service blocks; nil entries are kept
// so Validate can name them.
func convertServices(in []*api.Service) []*structs.Service {
	if in == nil {
		return nil
	}
	out := make([]*structs.Service, len(in))
	for i, s := range in {
		if s == nil {
			continue
		}
		svc := &structs.Service{
			Name:        s.Name,
			TaskName:    s.TaskName,
			PortLabel:   s.PortLabel,
			AddressMode: s.AddressMode,
			Provider:    s.Provider,
			Tags:        slices.Clone(s.Tags),
			Meta:        maps.Clone(s.Meta),
			Publish:     convertPublish(s.Publish),
		}
		for j := range s.Checks {
			svc.Checks = append(svc.Checks, convertCheck(&s.Checks[j]))
		}
		out[i] = svc
	}
	return out
}

func convertCheck(c *api.ServiceCheck) *structs.ServiceCheck {
	out := &structs.ServiceCheck{
		Name:           c.Name,
		Type:           c.Type,
		PortLabel:      c.PortLabel,
		Path:           c.Path,
		Method:         c.Method,
		Protocol:       c.Protocol,
		ExpectedStatus: slices.Clone(c.ExpectedStatus),
		Command:        c.Command,
		Args:           slices.Clone(c.Args),
		TaskName:       c.TaskName,
		GRPCService:    c.GRPCService,
		GRPCUseTLS:     c.GRPCUseTLS,
		TLSSkipVerify:  c.TLSSkipVerify,
		Interval:       c.Interval,
		Timeout:        c.Timeout,
		InitialStatus:  c.InitialStatus,
		OnUpdate:       c.OnUpdate,
	}
	if c.Header != nil {
		out.Header = make(map[string][]string, len(c.Header))
		for k, v := range c.Header {
			out.Header[k] = slices.Clone(v)
		}
	}
	if cr := c.CheckRestart; cr != nil {
		out.CheckRestart = &structs.CheckRestart{
			Limit:          cr.Limit,
			Grace:          deref(cr.Grace),
			IgnoreWarnings: cr.IgnoreWarnings,
		}
	}
	return out
}

func convertTemplates(in []*api.Template) []*structs.Template {
	if in == nil {
		return nil
	}
	out := make([]*structs.Template, len(in))
	for i, t := range in {
		if t == nil {
			continue
		}
		out[i] = &structs.Template{
			SourcePath:   deref(t.SourcePath),
			DestPath:     deref(t.DestPath),
			EmbeddedTmpl: deref(t.EmbeddedTmpl),
			ChangeMode:   deref(t.ChangeMode),
			ChangeSignal: deref(t.ChangeSignal),
			Splay:        deref(t.Splay),
			Perms:        deref(t.Perms),
			LeftDelim:    deref(t.LeftDelim),
			RightDelim:   deref(t.RightDelim),
			Envvars:      deref(t.Envvars),
		}
	}
	return out
}
