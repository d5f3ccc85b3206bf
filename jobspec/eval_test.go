package jobspec

import (
	"reflect"
	"strings"
	"testing"
)

// configOf parses a job whose only task's config body is body, with a
// variable "prefix" set to "web", and returns the decoded config.
func configOf(t *testing.T, body string) map[string]interface{} {
	t.Helper()
	src := `
variable "prefix" {
  default = "web"
}

job "j" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
` + body + `
      }
    }
  }
}
`
	job, err := Parse("web.hcl", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return job.TaskGroups[0].Tasks[0].Config
}

func TestRuntimeInterpolationSurvivesParsing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		expr string
		want interface{}
	}{
		{"attribute", `"${attr.kernel.name}"`, "${attr.kernel.name}"},
		{"node", `"${node.unique.id}"`, "${node.unique.id}"},
		{"meta", `"${meta.rack}"`, "${meta.rack}"},
		{"nomad env", `"${NOMAD_ALLOC_ID}"`, "${NOMAD_ALLOC_ID}"},
		{"env attribute", `"${env.HOME}"`, "${env.HOME}"},
		{"env index", `"${env["HOME"]}"`, `${env["HOME"]}`},
		{"inside text", `"id=${NOMAD_ALLOC_ID} on ${attr.unique.hostname}"`, "id=${NOMAD_ALLOC_ID} on ${attr.unique.hostname}"},
		{"mixed with a variable", `"${var.prefix}-${NOMAD_ALLOC_INDEX}"`, "web-${NOMAD_ALLOC_INDEX}"},
		{"function of a variable next to a runtime one", `"${upper(var.prefix)}:${node.class}"`, "WEB:${node.class}"},
		{"escaped interpolation", `"$${var.prefix}"`, "${var.prefix}"},
		{"strip markers", `"a ${~ NOMAD_ALLOC_ID ~} b"`, "a${NOMAD_ALLOC_ID}b"},
		{"heredoc", "<<EOT\nalloc ${NOMAD_ALLOC_ID}\nEOT", "alloc ${NOMAD_ALLOC_ID}\n"},
		{"parentheses", `("${attr.x}")`, "${attr.x}"},
		{"list", `["-c", "echo ${NOMAD_TASK_NAME}"]`, []interface{}{"-c", "echo ${NOMAD_TASK_NAME}"}},
		{"object in list", `[{ x = "${attr.a}" }]`, []interface{}{map[string]interface{}{"x": "${attr.a}"}}},
		{"object key from a variable", `{ (var.prefix) = "${node.class}" }`, map[string]interface{}{"web": "${node.class}"}},
		{"unknown root kept verbatim", `"${HOME}/bin"`, "${HOME}/bin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := configOf(t, "value = "+tc.expr)["value"]
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestConfigValueShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		want map[string]interface{}
	}{
		{"whole number is int", "v = 8080", map[string]interface{}{"v": 8080}},
		{"negative", "v = -3", map[string]interface{}{"v": -3}},
		{"exponent that is whole", "v = 1e3", map[string]interface{}{"v": 1000}},
		{"fraction is float64", "v = 0.25", map[string]interface{}{"v": 0.25}},
		{"beyond int64 is float64", "v = 1e20", map[string]interface{}{"v": 1e20}},
		{"bool", "v = false", map[string]interface{}{"v": false}},
		{"null", "v = null", map[string]interface{}{"v": nil}},
		{"function result", `v = join(",", ["a", "b"])`, map[string]interface{}{"v": "a,b"}},
		{
			"repeated blocks are a list of maps",
			"port_map {\n a = 1\n}\nport_map {\n b = 2\n}",
			map[string]interface{}{"port_map": []map[string]interface{}{{"a": 1}, {"b": 2}}},
		},
		{
			"labelled block nests",
			"mount \"data\" \"ro\" {\n path = \"/d\"\n}",
			map[string]interface{}{"mount": []map[string]interface{}{
				{"data": []map[string]interface{}{{"ro": []map[string]interface{}{{"path": "/d"}}}}},
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := configOf(t, tc.body); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestRuntimeVariableOutsideString(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		expr string
	}{
		{"bare traversal", `attr.kernel.name`},
		{"function argument", `upper(attr.kernel.name)`},
		{"operator", `NOMAD_ALLOC_INDEX + 1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      config {\n        v = " +
				tc.expr + "\n      }\n    }\n  }\n}"
			got := parseErr(t, src)
			if !strings.Contains(got, "web.hcl:6,") || !strings.Contains(got, "Runtime variable outside a string") {
				t.Fatalf("unexpected error: %s", got)
			}
		})
	}
}
