package structs_test

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestJobValidate_LifecycleAndArtifacts(t *testing.T) {
	t.Parallel()
	addTask := func(j *structs.Job, name string, lc *structs.TaskLifecycleConfig) *structs.Task {
		tg := j.TaskGroups[0]
		task := tg.Tasks[0].Copy()
		task.Name, task.Lifecycle, task.LogConfig = name, lc, nil
		tg.Tasks = append(tg.Tasks, task)
		return task
	}
	goodSum := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		change func(j *structs.Job)
		want   []string
	}{
		{"prestart and poststop beside a main task", func(j *structs.Job) {
			addTask(j, "init", &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart})
			addTask(j, "cleanup", &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPoststop})
		}, nil},
		{"unknown hook", func(j *structs.Job) {
			addTask(j, "init", &structs.TaskLifecycleConfig{Hook: "prestop"})
		}, []string{`Tasks["init"].Lifecycle.Hook: "prestop" is not a lifecycle hook`}},
		{"no main task", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart, Sidecar: true}
		}, []string{`TaskGroups["web"].Tasks: every task has a lifecycle block`}},
		{"valid artifact", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Artifacts = []*structs.TaskArtifact{{
				GetterSource: "https://example.com/app.tar.gz", GetterMode: structs.GetterModeAny,
				RelativeDest: "local/app", GetterOptions: map[string]string{"checksum": goodSum},
			}}
		}, nil},
		{"broken artifact", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Artifacts = []*structs.TaskArtifact{{
				GetterMode: "tree", RelativeDest: "local/../../etc",
				GetterOptions: map[string]string{"checksum": "sha256:abcd", "archive": "false"},
			}}
		}, []string{
			"Artifacts[0].GetterSource: missing source URL",
			`Artifacts[0].GetterMode: "tree" is not a getter mode`,
			`Artifacts[0].RelativeDest: "local/../../etc" leaves the task directory`,
			`Artifacts[0].GetterOptions: unknown option "archive"`,
			`Artifacts[0].GetterOptions["checksum"]: checksum "sha256:abcd": a sha256 digest is 64 hex digits, got 4`,
		}},
		{"absolute destination", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Artifacts = []*structs.TaskArtifact{{
				GetterSource: "http://example.com/x", GetterMode: structs.GetterModeFile, RelativeDest: "/etc/passwd",
			}}
		}, []string{`Artifacts[0].RelativeDest: "/etc/passwd" leaves the task directory`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := mock.Job()
			tc.change(j)
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid job rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid job accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tc.want) {
				t.Errorf("%d problems reported, want %d:\n%v", got, len(tc.want), err)
			}
		})
	}
}

func TestTaskCopy_LifecycleAndArtifacts(t *testing.T) {
	t.Parallel()
	task := mock.Job().TaskGroups[0].Tasks[0]
	task.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart}
	task.Artifacts = []*structs.TaskArtifact{{GetterSource: "http://x", GetterOptions: map[string]string{"checksum": "md5:00"}}}
	c := task.Copy()
	c.Lifecycle.Sidecar = true
	c.Artifacts[0].GetterOptions["checksum"] = "changed"
	c.Artifacts[0].GetterSource = "changed"
	if task.Lifecycle.Sidecar || task.Artifacts[0].GetterOptions["checksum"] != "md5:00" || task.Artifacts[0].GetterSource != "http://x" {
		t.Fatalf("copy shares memory with the original: %+v %+v", task.Lifecycle, task.Artifacts[0])
	}
}

func TestParseArtifactChecksum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		wantErr string
	}{
		{"md5:" + strings.Repeat("0", 32), ""},
		{"SHA1:" + strings.Repeat("0", 40), ""},
		{"sha512:" + strings.Repeat("f", 128), ""},
		{"sha256", `want "type:hex"`},
		{"crc32:00000000", `unsupported type "crc32"`},
		{"sha256:zz", "not hex"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, _, err := structs.ParseArtifactChecksum(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
