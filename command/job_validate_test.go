package command

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestJobValidate(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		resp     *api.JobValidateResponse
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "valid", body: testJobHCL, resp: &api.JobValidateResponse{}, wantOut: "Job validation successful"},
		{name: "server finds problems", body: testJobHCL, wantCode: 1,
			resp:    &api.JobValidateResponse{ValidationErrors: []string{"Priority: 101 is out of range"}},
			wantErr: "* Priority: 101 is out of range"},
		{name: "syntax error", body: "job \"web\" {\n  bogus {\n}\n", wantCode: 1, wantErr: "web.hcl:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAPI(t, map[string]interface{}{"PUT /v1/validate/job": tc.resp})
			ui := newUi()
			code := (&JobValidateCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, writeJob(t, tc.body)})
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			if !strings.Contains(ui.OutputWriter.String(), tc.wantOut) || !strings.Contains(ui.ErrorWriter.String(), tc.wantErr) {
				t.Fatalf("stdout %q stderr %q", ui.OutputWriter, ui.ErrorWriter)
			}
		})
	}
}
