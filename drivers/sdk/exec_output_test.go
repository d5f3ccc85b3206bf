package sdk_test

import (
	"bytes"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
)

func TestExecOutputCaps(t *testing.T) {
	cases := []struct {
		name   string
		writes []int // sizes
		want   int
	}{
		{"small", []int{10, 20}, 30},
		{"exactly the cap", []int{sdk.MaxExecOutput}, sdk.MaxExecOutput},
		{"one write over", []int{sdk.MaxExecOutput + 5}, sdk.MaxExecOutput},
		{"many writes over", []int{sdk.MaxExecOutput - 3, 10, 10}, sdk.MaxExecOutput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out sdk.ExecOutput
			var all []byte
			for i, n := range tc.writes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				all = append(all, p...)
				if got, err := out.Write(p); got != n || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil (dropping is silent)", got, err, n)
				}
			}
			if got := out.Bytes(); !bytes.Equal(got, all[:tc.want]) {
				t.Fatalf("kept %d bytes, want the first %d", len(got), tc.want)
			}
		})
	}
}
