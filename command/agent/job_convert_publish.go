package agent

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertPublish converts a service's publish block, with the defaults
// (tcp, round_robin) where the request left them out: API users may send
// a job that was never canonicalized by the CLI.
func convertPublish(in *api.ServicePublish) *structs.ServicePublish {
	if in == nil {
		return nil
	}
	cp := *in
	cp.Canonicalize()
	out := &structs.ServicePublish{Mode: *cp.Mode, Balance: *cp.Balance, ClientAffinity: *cp.ClientAffinity}
	if cp.Port != nil {
		out.Port = *cp.Port
	}
	return out
}
