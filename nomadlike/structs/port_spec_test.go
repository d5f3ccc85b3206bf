package structs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePortSpec(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec    string
		want    [][2]int
		wantErr string
	}{
		{spec: "", want: nil},
		{spec: "22", want: [][2]int{{22, 22}}},
		{spec: " 22, 80 ,8000-8100,", want: [][2]int{{22, 22}, {80, 80}, {8000, 8100}}},
		{spec: "1-65535", want: [][2]int{{1, 65535}}},
		{spec: "22,http", wantErr: `"http": "http" is not a port number`},
		{spec: "0", wantErr: `"0": port 0 is out of range: want 1 to 65535`},
		{spec: "8000-70000", wantErr: `"8000-70000": port 70000 is out of range`},
		{spec: "8100-8000", wantErr: `"8100-8000": the range ends below its start`},
		{spec: "80-", wantErr: `"80-": "" is not a port number`},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParsePortSpec(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
