package jobspec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestParseTemplates(t *testing.T) {
	t.Parallel()
	job, err := Parse("web.hcl", []byte(`job "web" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data          = <<EOT
{{ range nomadService "api" }}{{ .Address }}:{{ .Port }}
{{ end }}
EOT
        destination   = "local/upstreams.txt"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        perms         = "0600"
        splay         = "1s"
      }
      template {
        source          = "local/in.tpl"
        destination     = "secrets/app.env"
        env             = true
        left_delimiter  = "[["
        right_delimiter = "]]"
      }
    }
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	got := job.TaskGroups[0].Tasks[0].Templates
	want := []*api.Template{{
		EmbeddedTmpl: str("{{ range nomadService \"api\" }}{{ .Address }}:{{ .Port }}\n{{ end }}\n"),
		DestPath:     str("local/upstreams.txt"), ChangeMode: str("signal"), ChangeSignal: str("SIGHUP"),
		Perms: str("0600"), Splay: api.PointerOf(time.Second),
	}, {
		SourcePath: str("local/in.tpl"), DestPath: str("secrets/app.env"), Envvars: api.PointerOf(true),
		LeftDelim: str("[["), RightDelim: str("]]"),
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("templates:\n got %+v %+v\nwant %+v %+v", got[0], got[1], want[0], want[1])
	}
	job.Canonicalize()
	if tm := job.TaskGroups[0].Tasks[0].Templates[1]; *tm.ChangeMode != "restart" || *tm.Perms != "0644" || *tm.Splay != 5*time.Second {
		t.Errorf("defaults: change_mode %q perms %q splay %s", *tm.ChangeMode, *tm.Perms, *tm.Splay)
	}
}

func TestParseTemplateErrors(t *testing.T) {
	t.Parallel()
	task := func(body string) string {
		return "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n" + body + "\n    }\n  }\n}"
	}
	cases := []struct{ name, src, want string }{
		{"syntax error in heredoc", task(`      template {
        destination = "local/x"
        data = <<EOT
line one
{{ range service "api" }}
{{ .Address
EOT
      }`), `web.hcl:10,1-1: Invalid template; the template does not parse:`},
		{"unknown function", task(`      template {
        destination = "local/x"
        data = "{{ consulKey \"a\" }}"
      }`), `web.hcl:7,1-1: Invalid template; the template does not parse: function "consulKey" not defined`},
		{"no data or source", task(`      template {
        destination = "local/x"
      }`), `web.hcl:5,7-15: Missing template data`},
		{"no destination", task(`      template {
        data = "x"
      }`), `web.hcl:5,7-15: Missing destination`},
		{"signal without a signal", task(`      template {
        data        = "x"
        destination = "local/x"
        change_mode = "signal"
      }`), `web.hcl:8,23-31: Missing change_signal`},
		{"bad change mode", task(`      template {
        data        = "x"
        destination = "local/x"
        change_mode = "reload"
      }`), `web.hcl:8,23-31: Invalid value for "change_mode"; change_mode must be one of noop, restart, signal, got "reload"`},
		{"bad perms", task(`      template {
        data        = "x"
        destination = "local/x"
        perms       = "rw"
      }`), `web.hcl:8,23-27: Invalid value for "perms"`},
		{"escaping destination", task(`      template {
        data        = "x"
        destination = "../../etc/passwd"
      }`), `must stay inside the task directory`},
		{"duplicate destination", task(`      template {
        data        = "x"
        destination = "local/x"
      }
      template {
        data        = "y"
        destination = "local/x"
      }`), `"local/x" is already the destination of the template at web.hcl:7,23-32`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseErr(t, tc.src); !strings.Contains(got, tc.want) {
				t.Errorf("error:\n%s\nwant it to contain\n%s", got, tc.want)
			}
		})
	}
}
