package rawexec

import (
	"testing"
	"time"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	at := time.Unix(1000, 0)
	cases := []struct {
		name        string
		prev, cur   sample
		wantPercent float64
		wantMHz     float64
	}{
		{
			name:        "first sample has no rate",
			cur:         sample{at: at, userTicks: 500, systemTicks: 100},
			wantPercent: 0,
		},
		{
			name:        "half a core over two seconds",
			prev:        sample{at: at, userTicks: 100, systemTicks: 0},
			cur:         sample{at: at.Add(2 * time.Second), userTicks: 150, systemTicks: 50},
			wantPercent: 50, wantMHz: 1000,
		},
		{
			name:        "an exited member does not make the rate negative",
			prev:        sample{at: at, userTicks: 900},
			cur:         sample{at: at.Add(time.Second), userTicks: 100},
			wantPercent: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := tc.cur.usage(tc.prev, 2000)
			if u.CPUPercent != tc.wantPercent || u.CPUTotalMHz != tc.wantMHz {
				t.Errorf("usage = %.2f%% %.1f MHz, want %.2f%% %.1f MHz", u.CPUPercent, u.CPUTotalMHz, tc.wantPercent, tc.wantMHz)
			}
			if want := float64(tc.cur.userTicks) * 10; u.CPUUserMS != want {
				t.Errorf("user ms = %v, want %v", u.CPUUserMS, want)
			}
		})
	}
}
