package taskenv

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fixture returns an input whose values are all distinct, so a variable
// wired to the wrong source cannot pass by accident.
func fixture() Input {
	job := mock.Job()
	job.ID, job.Name, job.Region = "web-job", "web-name", "eu"
	job.Meta = map[string]string{"owner": "job", "tier": "gold"}
	tg := job.TaskGroups[0]
	tg.Meta = map[string]string{"owner": "group"}
	task := tg.Tasks[0]
	task.Meta = map[string]string{"rack-id": "r7"}
	task.Env = map[string]string{"GREETING": "hi from ${NOMAD_TASK_NAME}", "NOMAD_TASK_NAME": "spoofed"}
	task.Resources.MemoryMaxMB = 512
	node := mock.Node()
	node.ID, node.Name, node.Datacenter, node.NodeClass, node.NodePool = "node-1", "n1", "dc7", "big", "gpu"
	alloc := mock.AllocFor(job, node, 4)
	alloc.ID = "0123456789abcdef"
	alloc.AllocatedResources.Tasks["web"].Cpu.CpuShares = 750
	alloc.AllocatedResources.Shared.Ports = []structs.PortMapping{
		{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.0.5"},
		{Label: "admin-ui", Value: 23457, HostIP: "10.0.0.5"},
	}
	return Input{
		Node: node, Alloc: alloc, Task: task, Region: "",
		AllocDir: "/a/alloc", TaskDir: "/a/web/local", SecretsDir: "/a/web/secrets",
	}
}

func TestNew_RuntimeVariables(t *testing.T) {
	t.Parallel()
	env := New(fixture()).Map()
	want := map[string]string{
		"NOMAD_ALLOC_ID":         "0123456789abcdef",
		"NOMAD_SHORT_ALLOC_ID":   "01234567",
		"NOMAD_ALLOC_NAME":       "web-job.web[4]",
		"NOMAD_ALLOC_INDEX":      "4",
		"NOMAD_ALLOC_DIR":        "/a/alloc",
		"NOMAD_TASK_DIR":         "/a/web/local",
		"NOMAD_SECRETS_DIR":      "/a/web/secrets",
		"NOMAD_TASK_NAME":        "web",
		"NOMAD_GROUP_NAME":       "web",
		"NOMAD_JOB_ID":           "web-job",
		"NOMAD_JOB_NAME":         "web-name",
		"NOMAD_NAMESPACE":        "default",
		"NOMAD_REGION":           "eu",
		"NOMAD_DC":               "dc7",
		"NOMAD_CPU_LIMIT":        "750",
		"NOMAD_MEMORY_LIMIT":     "256",
		"NOMAD_MEMORY_MAX_LIMIT": "0",
		"NOMAD_PORT_http":        "8080",
		"NOMAD_HOST_PORT_http":   "23456",
		"NOMAD_IP_http":          "10.0.0.5",
		"NOMAD_ADDR_http":        "10.0.0.5:23456",
		"NOMAD_PORT_admin_ui":    "23457",
		"NOMAD_META_OWNER":       "group",
		"NOMAD_META_TIER":        "gold",
		"NOMAD_META_RACK-ID":     "r7",
		"NOMAD_META_rack-id":     "r7",
		"ORCH_ALLOC_ID":          "0123456789abcdef",
		"ORCH_PORT_http":         "8080",
		"ORCH_TASK_DIR":          "/a/web/local",
		"GREETING":               "hi from web",
	}
	// The grant has no memory max, so the variable must be absent.
	delete(want, "NOMAD_MEMORY_MAX_LIMIT")
	for k, v := range want {
		t.Run(k, func(t *testing.T) {
			if got, ok := env[k]; !ok || got != v {
				t.Fatalf("%s = %q (set %v), want %q", k, got, ok, v)
			}
		})
	}
	for _, unset := range []string{"NOMAD_MEMORY_MAX_LIMIT", "NOMAD_CPU_CORES"} {
		if _, ok := env[unset]; ok {
			t.Errorf("%s set although the grant has none", unset)
		}
	}
}

func TestNew_RegionAndLimitsFallbacks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		modify func(*Input)
		key    string
		want   string
	}{
		{"client region wins over job region", func(in *Input) { in.Region = "us" }, "NOMAD_REGION", "us"},
		{"task resources when no grant", func(in *Input) { in.Alloc.AllocatedResources = nil }, "NOMAD_CPU_LIMIT", "500"},
		{"memory max from the grant", func(in *Input) { in.Alloc.AllocatedResources.Tasks["web"].Memory.MemoryMaxMB = 1024 }, "NOMAD_MEMORY_MAX_LIMIT", "1024"},
		{"index of an unnamed alloc is 0", func(in *Input) { in.Alloc.Name = "weird" }, "NOMAD_ALLOC_INDEX", "0"},
		{"reserved cores in cpuset notation", func(in *Input) {
			in.Alloc.AllocatedResources.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 4000, ReservedCores: []uint16{7, 1, 2, 3}}
		}, "NOMAD_CPU_CORES", "1-3,7"},
		{"cpu limit of reserved cores", func(in *Input) {
			in.Alloc.AllocatedResources.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 4000, ReservedCores: []uint16{7, 1, 2, 3}}
		}, "NOMAD_CPU_LIMIT", "4000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := fixture()
			tc.modify(&in)
			if got := New(in).Map()[tc.key]; got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	t.Parallel()
	in := fixture()
	in.Node.Attributes["kernel.name"] = "linux"
	in.Node.Meta = map[string]string{"rack": "r9"}
	env := New(in)
	cases := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"${NOMAD_ALLOC_ID}", "0123456789abcdef"},
		{"${ NOMAD_TASK_NAME }-x", "web-x"},
		{"${attr.kernel.name}/${meta.rack}", "linux/r9"},
		{"${node.unique.id} ${node.unique.name} ${node.datacenter} ${node.class} ${node.pool}", "node-1 n1 dc7 big gpu"},
		{"${env.GREETING}", "hi from web"},
		{"${NOMAD_ADDR_http}", "10.0.0.5:23456"},
		{"${attr.missing} stays", "${attr.missing} stays"},
		{"unterminated ${NOMAD_TASK_NAME", "unterminated ${NOMAD_TASK_NAME"},
		{"$${NOMAD_TASK_NAME}", "$web"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := env.Replace(tc.in); got != tc.want {
				t.Fatalf("Replace(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestInterpolateConfig(t *testing.T) {
	t.Parallel()
	env := New(fixture())
	in := map[string]interface{}{
		"command": "${NOMAD_TASK_DIR}/run.sh",
		"args":    []interface{}{"--port", "${NOMAD_PORT_http}", 3},
		"strs":    []string{"${NOMAD_DC}"},
		"labels":  map[string]string{"alloc": "${NOMAD_ALLOC_INDEX}"},
		"nested":  map[string]interface{}{"deeper": []map[string]interface{}{{"x": "${node.class}"}}},
		"count":   2,
		"flag":    true,
	}
	want := map[string]interface{}{
		"command": "/a/web/local/run.sh",
		"args":    []interface{}{"--port", "8080", 3},
		"strs":    []string{"dc7"},
		"labels":  map[string]string{"alloc": "4"},
		"nested":  map[string]interface{}{"deeper": []map[string]interface{}{{"x": "big"}}},
		"count":   2,
		"flag":    true,
	}
	got := env.InterpolateConfig(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InterpolateConfig =\n%#v\nwant\n%#v", got, want)
	}
	if in["command"] != "${NOMAD_TASK_DIR}/run.sh" {
		t.Fatal("InterpolateConfig modified its input")
	}
	if got := env.ReplaceAll([]string{"${NOMAD_JOB_ID}", "x"}); !reflect.DeepEqual(got, []string{"web-job", "x"}) {
		t.Fatalf("ReplaceAll = %v", got)
	}
}

// TestNew_AliasesAreNotAliasedAgain builds the environment many times
// because the defect it guards against depended on map iteration order.
func TestNew_AliasesAreNotAliasedAgain(t *testing.T) {
	t.Parallel()
	for i := 0; i < 200; i++ {
		env := New(fixture()).Map()
		for k, v := range env {
			if strings.HasPrefix(k, aliasPrefix+aliasPrefix) || strings.HasPrefix(k, aliasPrefix+nomadPrefix) {
				t.Fatalf("run %d: alias of an alias %s=%q", i, k, v)
			}
			if name, ok := strings.CutPrefix(k, nomadPrefix); ok && env[aliasPrefix+name] != v {
				t.Fatalf("run %d: %s=%q but %s%s=%q", i, k, v, aliasPrefix, name, env[aliasPrefix+name])
			}
		}
	}
}
