package jobspec

import (
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

var templateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "data"}, {Name: "source"}, {Name: "destination"},
		{Name: "change_mode"}, {Name: "change_signal"}, {Name: "perms"},
		{Name: "left_delimiter"}, {Name: "right_delimiter"}, {Name: "env"},
		{Name: "splay"},
	},
}

var templateChangeModes = []string{api.TemplateChangeModeNoop, api.TemplateChangeModeRestart, api.TemplateChangeModeSignal}

// templates decodes a task's template blocks and parses embedded ones, so
// a syntax error is reported at its line in the job file.
func (e *evaluator) templates(blocks hcl.Blocks) []*api.Template {
	var out []*api.Template
	dests := make(map[string]hcl.Range)
	for _, b := range blocksOf(blocks, "template") {
		c := e.content(b.Body, "template", templateSchema)
		t := &api.Template{
			EmbeddedTmpl: e.stringAttr(c.Attributes, "data"),
			SourcePath:   e.stringAttr(c.Attributes, "source"),
			DestPath:     e.stringAttr(c.Attributes, "destination"),
			ChangeMode:   e.stringAttr(c.Attributes, "change_mode"),
			ChangeSignal: e.stringAttr(c.Attributes, "change_signal"),
			Perms:        e.stringAttr(c.Attributes, "perms"),
			LeftDelim:    e.stringAttr(c.Attributes, "left_delimiter"),
			RightDelim:   e.stringAttr(c.Attributes, "right_delimiter"),
			Envvars:      e.boolAttr(c.Attributes, "env"),
			Splay:        e.durationAttr(c.Attributes, "splay"),
		}
		e.checkTemplate(b, c, t, dests)
		out = append(out, t)
	}
	return out
}

func (e *evaluator) checkTemplate(b *hcl.Block, c *hcl.BodyContent, t *api.Template, dests map[string]hcl.Range) {
	switch {
	case t.EmbeddedTmpl == nil && t.SourcePath == nil:
		e.errorf(b.DefRange, "Missing template data", "a template needs data (the template inline) or source (a file in the task directory)")
	case t.EmbeddedTmpl != nil && t.SourcePath != nil:
		e.errorf(c.Attributes["source"].Expr.Range(), invalidValue("source"), "set either data or source, not both")
	}
	if t.DestPath == nil || *t.DestPath == "" {
		e.errorf(b.DefRange, "Missing destination", "a template needs a destination, for example destination = \"local/app.conf\"")
	} else if first, dup := dests[*t.DestPath]; dup {
		e.errorf(c.Attributes["destination"].Expr.Range(), invalidValue("destination"),
			"%q is already the destination of the template at %s", *t.DestPath, first)
	} else if destinationEscapes(*t.DestPath) {
		e.errorf(c.Attributes["destination"].Expr.Range(), invalidValue("destination"),
			"destination %q must stay inside the task directory", *t.DestPath)
	} else {
		dests[*t.DestPath] = c.Attributes["destination"].Expr.Range()
	}
	if m := deref(t.ChangeMode); m != "" {
		e.oneOf(c.Attributes, "change_mode", m, templateChangeModes)
		if m == api.TemplateChangeModeSignal && deref(t.ChangeSignal) == "" {
			e.errorf(c.Attributes["change_mode"].Expr.Range(), "Missing change_signal", "change_mode = \"signal\" needs a change_signal, for example \"SIGHUP\"")
		}
	}
	if p := t.Perms; p != nil {
		if _, err := strconv.ParseUint(*p, 8, 32); err != nil {
			e.errorf(c.Attributes["perms"].Expr.Range(), invalidValue("perms"), "perms must be an octal file mode such as \"0644\", got %q", *p)
		}
	}
	if t.EmbeddedTmpl != nil {
		e.parseTemplate(c.Attributes["data"], *t.EmbeddedTmpl, deref(t.LeftDelim), deref(t.RightDelim))
	}
}

var (
	templateErrLine = regexp.MustCompile(`^template: [^:]*:(\d+):\s*(.*)$`)
	// An unclosed action is reported at the end of the data; the line it
	// started on is the one to fix.
	templateStartedAt = regexp.MustCompile(`started at [^:]*:(\d+)`)
)

// parseTemplate reports a template syntax error at its line in the file:
// text/template numbers lines from the start of the data, which starts on
// the attribute's line, or the next one for a heredoc.
func (e *evaluator) parseTemplate(a *hcl.Attribute, text, left, right string) {
	funcs := make(template.FuncMap, len(api.TemplateFuncNames))
	for _, n := range api.TemplateFuncNames {
		funcs[n] = func(...interface{}) interface{} { return nil }
	}
	_, err := template.New("data").Delims(left, right).Funcs(funcs).Parse(text)
	if err == nil {
		return
	}
	rng := a.Expr.Range()
	msg := err.Error()
	if m := templateErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if s := templateStartedAt.FindStringSubmatch(m[2]); s != nil {
			line, _ = strconv.Atoi(s[1])
		}
		first := rng.Start.Line
		if strings.HasPrefix(e.source(rng), "<<") {
			first++
		}
		rng = hcl.Range{Filename: rng.Filename, Start: hcl.Pos{Line: first + line - 1, Column: 1}, End: hcl.Pos{Line: first + line - 1, Column: 1}}
		msg = m[2]
	}
	e.errorf(rng, "Invalid template", "the template does not parse: %s", msg)
}
