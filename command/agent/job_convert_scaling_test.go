package agent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDecodeAutoscalePolicy(t *testing.T) {
	t.Parallel()
	cpu := &structs.ScalingCheck{Name: "cpu", Source: "orch", Query: "avg_cpu-allocated", Strategy: "target-value", Target: 50}
	cases := []struct {
		name    string
		json    string
		want    *structs.AutoscalePolicy
		wantErr string
	}{
		{name: "defaults", json: `{"check":{"cpu":{"query":"avg_cpu-allocated","strategy":{"target-value":{"target":50}}}}}`,
			want: &structs.AutoscalePolicy{EvaluationInterval: 10 * time.Second, Cooldown: time.Minute,
				ScaleDownStabilization: 300 * time.Second, Checks: []*structs.ScalingCheck{cpu}}},
		{name: "nomad's list shape and extensions",
			json: `{"evaluation_interval":"1s","cooldown":"2s","check":[{"cpu":[{"source":"orch","query":"avg_cpu-allocated","strategy":[{"target-value":[{"target":50}]}]}]}],
			        "scale_down":{"stabilization_window":"3s","percent":50,"period":"1m"},"scale_up":{"allocations":2,"period":"30s"}}`,
			want: &structs.AutoscalePolicy{EvaluationInterval: time.Second, Cooldown: 2 * time.Second,
				ScaleDownStabilization: 3 * time.Second, Checks: []*structs.ScalingCheck{cpu},
				ScaleUp:   &structs.ScalingLimit{Allocations: 2, Period: 30 * time.Second},
				ScaleDown: &structs.ScalingLimit{Percent: 50, Period: time.Minute}}},
		{name: "no check", json: `{"cooldown":"1m"}`, wantErr: "at least one check"},
		{name: "unknown key", json: `{"colldown":"1m"}`, wantErr: `unknown key "colldown"`},
		{name: "bad duration", json: `{"cooldown":"soon"}`, wantErr: `cooldown must be a duration`},
		{name: "no strategy", json: `{"check":{"cpu":{"query":"avg_cpu-allocated"}}}`, wantErr: `check "cpu": missing strategy`},
		{name: "target not a number", json: `{"check":{"cpu":{"query":"q","strategy":{"target-value":{"target":"high"}}}}}`, wantErr: `target must be a number`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]interface{}
			if err := json.Unmarshal([]byte(tc.json), &m); err != nil {
				t.Fatal(err)
			}
			got, err := DecodeAutoscalePolicy(m)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("policy (-want +got):\n%s", diff)
			}
			// The map rendered for the API decodes to the same policy.
			again, err := DecodeAutoscalePolicy(roundTrip(t, got.PolicyMap()))
			if err != nil {
				t.Fatalf("decode rendered map: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Fatalf("rendered map decodes differently (-want +got):\n%s", diff)
			}
		})
	}
}

func roundTrip(t *testing.T, m map[string]interface{}) map[string]interface{} {
	t.Helper()
	buf, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(buf, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
