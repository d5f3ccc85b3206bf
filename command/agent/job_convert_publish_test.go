package agent

import (
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestConvertPublish(t *testing.T) {
	port, mode, aff := 8080, "http", "client_ip"
	cases := []struct {
		name string
		in   *api.ServicePublish
		want *structs.ServicePublish
	}{
		{"none", nil, nil},
		{"defaults", &api.ServicePublish{Port: &port}, &structs.ServicePublish{Port: 8080, Mode: "tcp", Balance: "round_robin"}},
		{"all set", &api.ServicePublish{Port: &port, Mode: &mode, ClientAffinity: &aff},
			&structs.ServicePublish{Port: 8080, Mode: "http", Balance: "round_robin", ClientAffinity: "client_ip"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := convertPublish(tc.in)
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("convertPublish = %+v, want %+v", got, tc.want)
			}
		})
	}
}
