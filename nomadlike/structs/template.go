package structs

import (
	"fmt"
	"slices"
	"strconv"
	"text/template"
	"time"
)

// Template is a task's template block: a Go text/template the client
// renders into the task directory before the task starts, and again when
// the catalog data it reads changes, applying ChangeMode when the output
// changes. Field names are Nomad's.
type Template struct {
	SourcePath   string
	DestPath     string
	EmbeddedTmpl string
	ChangeMode   string
	ChangeSignal string
	Splay        time.Duration
	Perms        string
	LeftDelim    string
	RightDelim   string
	Envvars      bool
}

// Template change modes.
const (
	TemplateChangeModeNoop    = "noop"
	TemplateChangeModeRestart = "restart"
	TemplateChangeModeSignal  = "signal"
)

var templateChangeModes = []string{TemplateChangeModeNoop, TemplateChangeModeRestart, TemplateChangeModeSignal}

// TemplateFuncNames are the functions templates may call; the jobspec and
// the validator parse templates against these names so a typo is an error
// before the job runs. The client supplies the implementations.
var TemplateFuncNames = []string{
	"service", "services", "nomadService", "nomadServices", "env", "key", "keyOrDefault",
	"toUpper", "toLower", "join", "split", "trimSpace", "replaceAll", "contains", "default",
}

// ParseTemplateText checks a template's syntax with placeholder functions.
func ParseTemplateText(name, text, left, right string) error {
	funcs := make(template.FuncMap, len(TemplateFuncNames))
	for _, n := range TemplateFuncNames {
		funcs[n] = func(...interface{}) interface{} { return nil }
	}
	_, err := template.New(name).Delims(left, right).Funcs(funcs).Parse(text)
	return err
}

func copyTemplates(ts []*Template) []*Template {
	if ts == nil {
		return nil
	}
	out := make([]*Template, len(ts))
	for i, t := range ts {
		if t != nil {
			c := *t
			out[i] = &c
		}
	}
	return out
}

func validateTemplates(p *problems, where string, ts []*Template) {
	dests := make(map[string]int, len(ts))
	for i, t := range ts {
		tp := fmt.Sprintf("%s[%d]", where, i)
		if t == nil {
			p.addf(tp, "empty template")
			continue
		}
		switch {
		case t.EmbeddedTmpl == "" && t.SourcePath == "":
			p.addf(tp, "a template needs data or source")
		case t.EmbeddedTmpl != "" && t.SourcePath != "":
			p.addf(tp+".SourcePath", "set either data or source, not both")
		}
		if t.DestPath == "" {
			p.addf(tp+".DestPath", "missing destination")
		} else if first, dup := dests[t.DestPath]; dup {
			p.addf(tp+".DestPath", "%q is already the destination of template %d", t.DestPath, first)
		} else {
			dests[t.DestPath] = i
		}
		if !slices.Contains(templateChangeModes, t.ChangeMode) {
			p.addf(tp+".ChangeMode", "%q is not a change mode: want noop, restart or signal", t.ChangeMode)
		}
		if t.ChangeMode == TemplateChangeModeSignal && t.ChangeSignal == "" {
			p.addf(tp+".ChangeSignal", "change_mode = \"signal\" needs a change_signal")
		}
		if t.Perms != "" {
			if _, err := strconv.ParseUint(t.Perms, 8, 32); err != nil {
				p.addf(tp+".Perms", "%q is not an octal file mode", t.Perms)
			}
		}
		if t.EmbeddedTmpl != "" && t.LeftDelim != "" && t.RightDelim != "" {
			if err := ParseTemplateText("template", t.EmbeddedTmpl, t.LeftDelim, t.RightDelim); err != nil {
				p.addf(tp+".EmbeddedTmpl", "%v", err)
			}
		}
	}
}
