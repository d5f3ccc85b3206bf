package template

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Instance is what service "name" yields per passing instance, with the
// field names of Nomad's nomadService.
type Instance struct {
	ID          string
	Name        string
	Namespace   string
	Address     string
	Port        int
	Tags        []string
	NodeID      string
	AllocID     string
	JobID       string
	Datacenter  string
	ServiceName string
}

// ServiceStub is what services yields: a name and its tags.
type ServiceStub struct {
	Name string
	Tags []string
}

// errConsul answers Consul's template functions, which orch has no
// backend for.
var errConsul = errors.New("Consul functions (key, keyOrDefault) are not supported by orch: there is no Consul")

// funcs are the template functions of one render; lookup fetches a
// service's instances and records that the render read it.
func funcs(env map[string]string, lookup func(name string) ([]*structs.ServiceRegistration, error),
	list func() ([]ServiceStub, error)) template.FuncMap {
	service := func(name string) ([]Instance, error) {
		regs, err := lookup(name)
		if err != nil {
			return nil, err
		}
		var out []Instance
		for _, r := range regs {
			if r.Status != "" && r.Status != structs.HealthPassing {
				continue
			}
			out = append(out, Instance{ID: r.ID, Name: r.ServiceName, ServiceName: r.ServiceName, Namespace: r.Namespace,
				Address: r.Address, Port: r.Port, Tags: r.Tags, NodeID: r.NodeID, AllocID: r.AllocID, JobID: r.JobID,
				Datacenter: r.Datacenter})
		}
		// A stable order keeps the output, and so restarts, from
		// depending on the catalog's order.
		sort.Slice(out, func(i, j int) bool {
			if out[i].Address != out[j].Address {
				return out[i].Address < out[j].Address
			}
			return out[i].Port < out[j].Port
		})
		return out, nil
	}
	return template.FuncMap{
		"service":       service,
		"nomadService":  service,
		"services":      list,
		"nomadServices": list,
		"env":           func(k string) string { return env[k] },
		"key":           func(string) (string, error) { return "", errConsul },
		"keyOrDefault":  func(string, string) (string, error) { return "", errConsul },
		"toUpper":       strings.ToUpper,
		"toLower":       strings.ToLower,
		"join":          func(sep string, l []string) string { return strings.Join(l, sep) },
		"split":         func(sep, s string) []string { return strings.Split(s, sep) },
		"trimSpace":     strings.TrimSpace,
		"replaceAll":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"contains":      func(sub, s string) bool { return strings.Contains(s, sub) },
		"default": func(def string, v interface{}) string {
			if v == nil || fmt.Sprint(v) == "" {
				return def
			}
			return fmt.Sprint(v)
		},
	}
}
