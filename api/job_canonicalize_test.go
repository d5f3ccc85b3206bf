package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestJobCanonicalize(t *testing.T) {
	t.Parallel()

	serviceRestart := &RestartPolicy{
		Attempts: PointerOf(2),
		Interval: PointerOf(30 * time.Minute),
		Delay:    PointerOf(15 * time.Second),
		Mode:     PointerOf(RestartPolicyModeFail),
	}
	batchRestart := &RestartPolicy{
		Attempts: PointerOf(3),
		Interval: PointerOf(24 * time.Hour),
		Delay:    PointerOf(15 * time.Second),
		Mode:     PointerOf(RestartPolicyModeFail),
	}
	defaultTask := func(name string, rp *RestartPolicy) *Task {
		return &Task{
			Name:   name,
			Driver: "raw_exec",
			Resources: &Resources{
				CPU: PointerOf(100), Cores: PointerOf(0),
				MemoryMB: PointerOf(300), MemoryMaxMB: PointerOf(0),
			},
			RestartPolicy: rp,
			KillTimeout:   PointerOf(5 * time.Second),
			LogConfig: &LogConfig{
				MaxFiles: PointerOf(10), MaxFileSizeMB: PointerOf(10), Disabled: PointerOf(false),
			},
		}
	}
	defaultGroup := func(name string, rp *RestartPolicy, tasks ...*Task) *TaskGroup {
		return &TaskGroup{
			Name:          PointerOf(name),
			Count:         PointerOf(1),
			RestartPolicy: rp,
			EphemeralDisk: &EphemeralDisk{
				Sticky: PointerOf(false), Migrate: PointerOf(false), SizeMB: PointerOf(300),
			},
			Tasks: tasks,
		}
	}
	defaultJob := func(id, typ string, groups ...*TaskGroup) *Job {
		var update *UpdateStrategy
		for _, g := range groups {
			if g.ReschedulePolicy == nil {
				g.ReschedulePolicy = DefaultReschedulePolicy(typ)
			}
			if typ == JobTypeService {
				// Only service groups get Nomad's default migrate strategy,
				// and the job's default update block.
				g.Migrate = &MigrateStrategy{
					MaxParallel: PointerOf(1), HealthCheck: PointerOf("checks"),
					MinHealthyTime: PointerOf(10 * time.Second), HealthyDeadline: PointerOf(5 * time.Minute),
				}
				g.Update = DefaultUpdateStrategy()
			}
		}
		if typ == JobTypeService {
			update = DefaultUpdateStrategy()
		}
		return &Job{
			Update: update,
			Region: PointerOf("global"), Namespace: PointerOf("default"),
			ID: PointerOf(id), Name: PointerOf(id), Type: PointerOf(typ),
			Priority: PointerOf(50), AllAtOnce: PointerOf(false),
			Datacenters: []string{"*"}, NodePool: PointerOf("default"),
			TaskGroups: groups, Stop: PointerOf(false), ParentID: PointerOf(""),
			Status: PointerOf(""), StatusDescription: PointerOf(""),
			Stable: PointerOf(false), Version: PointerOf(uint64(0)),
			SubmitTime: PointerOf(int64(0)), CreateIndex: PointerOf(uint64(0)),
			ModifyIndex: PointerOf(uint64(0)), JobModifyIndex: PointerOf(uint64(0)),
		}
	}
	bareJob := func(typ *string) *Job {
		return &Job{
			ID:   PointerOf("web"),
			Type: typ,
			TaskGroups: []*TaskGroup{{
				Name:  PointerOf("g"),
				Tasks: []*Task{{Name: "t", Driver: "raw_exec"}},
			}},
		}
	}

	cases := []struct {
		name string
		in   *Job
		want *Job
	}{
		{
			name: "service defaults",
			in:   bareJob(nil),
			want: defaultJob("web", "service",
				defaultGroup("g", serviceRestart, defaultTask("t", serviceRestart))),
		},
		{
			name: "batch restart defaults",
			in:   bareJob(PointerOf("batch")),
			want: defaultJob("web", "batch",
				defaultGroup("g", batchRestart, defaultTask("t", batchRestart))),
		},
		{
			name: "task restart overrides only what it sets",
			in: func() *Job {
				j := bareJob(nil)
				j.TaskGroups[0].RestartPolicy = &RestartPolicy{Delay: PointerOf(time.Second)}
				j.TaskGroups[0].Tasks[0].RestartPolicy = &RestartPolicy{Attempts: PointerOf(7)}
				return j
			}(),
			want: func() *Job {
				group := serviceRestart.Copy()
				group.Delay = PointerOf(time.Second)
				task := group.Copy()
				task.Attempts = PointerOf(7)
				return defaultJob("web", "service", defaultGroup("g", group, defaultTask("t", task)))
			}(),
		},
		{
			name: "set values are kept",
			in: &Job{
				ID: PointerOf("api"), Name: PointerOf("API"), Region: PointerOf("eu"),
				Priority: PointerOf(80), Datacenters: []string{"dc1"},
				TaskGroups: []*TaskGroup{{
					Name: PointerOf("g"), Count: PointerOf(0),
					EphemeralDisk: &EphemeralDisk{SizeMB: PointerOf(50)},
					Migrate: &MigrateStrategy{MaxParallel: PointerOf(3), HealthCheck: PointerOf("task_states"),
						MinHealthyTime: PointerOf(time.Second), HealthyDeadline: PointerOf(time.Minute)},
					Tasks: []*Task{{
						Name:        "t",
						Resources:   &Resources{Cores: PointerOf(2), MemoryMB: PointerOf(64)},
						KillTimeout: PointerOf(time.Minute),
						LogConfig:   &LogConfig{MaxFiles: PointerOf(2)},
					}},
				}},
			},
			want: func() *Job {
				j := defaultJob("api", "service")
				j.Name = PointerOf("API")
				j.Region = PointerOf("eu")
				j.Priority = PointerOf(80)
				j.Datacenters = []string{"dc1"}
				task := defaultTask("t", serviceRestart)
				task.Driver = ""
				task.Resources.Cores = PointerOf(2)
				task.Resources.CPU = PointerOf(0)
				task.Resources.MemoryMB = PointerOf(64)
				task.KillTimeout = PointerOf(time.Minute)
				task.LogConfig.MaxFiles = PointerOf(2)
				g := defaultGroup("g", serviceRestart, task)
				g.Count = PointerOf(0)
				g.EphemeralDisk.SizeMB = PointerOf(50)
				g.Migrate = &MigrateStrategy{MaxParallel: PointerOf(3), HealthCheck: PointerOf("task_states"),
					MinHealthyTime: PointerOf(time.Second), HealthyDeadline: PointerOf(time.Minute)}
				g.ReschedulePolicy = DefaultReschedulePolicy(JobTypeService)
				g.Update = DefaultUpdateStrategy()
				j.TaskGroups = []*TaskGroup{g}
				return j
			}(),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.in.Canonicalize()
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Fatalf("canonicalized job differs\n got: %s\nwant: %s", dump(t, tc.in), dump(t, tc.want))
			}
			// The server canonicalises again what the client already did.
			tc.in.Canonicalize()
			if !reflect.DeepEqual(tc.in, tc.want) {
				t.Fatalf("second Canonicalize changed the job: %s", dump(t, tc.in))
			}
		})
	}
}

func TestTaskRestartPolicyDoesNotAliasGroup(t *testing.T) {
	t.Parallel()
	j := &Job{ID: PointerOf("j"), TaskGroups: []*TaskGroup{{
		Name:  PointerOf("g"),
		Tasks: []*Task{{Name: "a"}, {Name: "b"}},
	}}}
	j.Canonicalize()
	*j.TaskGroups[0].Tasks[0].RestartPolicy.Attempts = 99
	if got := *j.TaskGroups[0].RestartPolicy.Attempts; got != 2 {
		t.Fatalf("group attempts changed through a task's policy: got %d, want 2", got)
	}
	if got := *j.TaskGroups[0].Tasks[1].RestartPolicy.Attempts; got != 2 {
		t.Fatalf("sibling task attempts changed: got %d, want 2", got)
	}
}

func dump(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestTaskCanonicalize_LifecycleAndArtifacts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		task          *Task
		wantLifecycle *TaskLifecycle
		wantArtifacts []*TaskArtifact
	}{
		{
			name:          "empty lifecycle block is a main task",
			task:          &Task{Lifecycle: &TaskLifecycle{}},
			wantLifecycle: nil,
		},
		{
			name:          "hook kept",
			task:          &Task{Lifecycle: &TaskLifecycle{Hook: TaskLifecycleHookPrestart, Sidecar: true}},
			wantLifecycle: &TaskLifecycle{Hook: TaskLifecycleHookPrestart, Sidecar: true},
		},
		{
			name: "artifact defaults: unpack into local/",
			task: &Task{Artifacts: []*TaskArtifact{{GetterSource: PointerOf("https://x/app.tgz"), GetterOptions: map[string]string{}}}},
			wantArtifacts: []*TaskArtifact{{
				GetterSource: PointerOf("https://x/app.tgz"), GetterMode: PointerOf(GetterModeAny), RelativeDest: PointerOf("local/"),
			}},
		},
		{
			name: "file mode keeps the file's name under local/",
			task: &Task{Artifacts: []*TaskArtifact{{GetterSource: PointerOf("https://x/dl/tool.bin?version=2"), GetterMode: PointerOf(GetterModeFile)}}},
			wantArtifacts: []*TaskArtifact{{
				GetterSource: PointerOf("https://x/dl/tool.bin?version=2"), GetterMode: PointerOf(GetterModeFile), RelativeDest: PointerOf("local/tool.bin"),
			}},
		},
		{
			name: "destination set by the user is kept",
			task: &Task{Artifacts: []*TaskArtifact{{GetterSource: PointerOf("https://x/a"), GetterMode: PointerOf(GetterModeFile), RelativeDest: PointerOf("bin/a")}}},
			wantArtifacts: []*TaskArtifact{{
				GetterSource: PointerOf("https://x/a"), GetterMode: PointerOf(GetterModeFile), RelativeDest: PointerOf("bin/a"),
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.task.Canonicalize(nil, nil)
			if !reflect.DeepEqual(tc.task.Lifecycle, tc.wantLifecycle) {
				t.Errorf("lifecycle = %+v, want %+v", tc.task.Lifecycle, tc.wantLifecycle)
			}
			if !reflect.DeepEqual(tc.task.Artifacts, tc.wantArtifacts) {
				got, _ := json.Marshal(tc.task.Artifacts)
				want, _ := json.Marshal(tc.wantArtifacts)
				t.Errorf("artifacts = %s, want %s", got, want)
			}
		})
	}
}

func TestMigrateStrategyCanonicalize(t *testing.T) {
	t.Parallel()
	job := &Job{ID: PointerOf("web"), TaskGroups: []*TaskGroup{{
		Name:    PointerOf("g"),
		Migrate: &MigrateStrategy{MaxParallel: PointerOf(2), HealthCheck: PointerOf("task_states")},
		Tasks:   []*Task{{Name: "t", Driver: "raw_exec"}},
	}}}
	job.Canonicalize()
	want := &MigrateStrategy{
		MaxParallel: PointerOf(2), HealthCheck: PointerOf("task_states"),
		MinHealthyTime: PointerOf(10 * time.Second), HealthyDeadline: PointerOf(5 * time.Minute),
	}
	if got := job.TaskGroups[0].Migrate; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestVolumeCanonicalize(t *testing.T) {
	t.Parallel()
	job := &Job{ID: PointerOf("web"), TaskGroups: []*TaskGroup{{
		Name:    PointerOf("g"),
		Volumes: map[string]*VolumeRequest{"data": {Type: VolumeTypeHost, Source: "shared"}},
		Tasks: []*Task{{Name: "t", Driver: "exec", VolumeMounts: []*VolumeMount{
			{Volume: PointerOf("data"), Destination: PointerOf("/srv")},
			{Volume: PointerOf("data"), Destination: PointerOf("/ro"), ReadOnly: PointerOf(true), PropagationMode: PointerOf("private")},
		}}},
	}}}
	job.Canonicalize()
	job.Canonicalize() // idempotent
	if got := job.TaskGroups[0].Volumes["data"]; got.Name != "data" || got.Source != "shared" || got.ReadOnly || got.PerAlloc {
		t.Errorf("volume request = %+v, want named after its key and otherwise unchanged", got)
	}
	want := []*VolumeMount{
		{Volume: PointerOf("data"), Destination: PointerOf("/srv"), ReadOnly: PointerOf(false), PropagationMode: PointerOf(VolumeMountPropagationPrivate)},
		{Volume: PointerOf("data"), Destination: PointerOf("/ro"), ReadOnly: PointerOf(true), PropagationMode: PointerOf("private")},
	}
	if got := job.TaskGroups[0].Tasks[0].VolumeMounts; !reflect.DeepEqual(got, want) {
		t.Errorf("mounts = %+v, want %+v", got, want)
	}
}
