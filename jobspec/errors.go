package jobspec

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Error reports everything wrong with a jobspec. Its message lists one
// diagnostic per line, each shaped "file:line,col-col: summary; detail",
// so a CLI can print it as is; callers wanting the structured form (for
// source snippets) get hcl.Diagnostics through errors.As or Diags.
type Error struct {
	Diags hcl.Diagnostics
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Diags))
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Subject == nil {
			// Problems with -var arguments have no place in a file.
			lines = append(lines, d.Summary+"; "+d.Detail)
			continue
		}
		lines = append(lines, d.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the diagnostics to errors.As.
func (e *Error) Unwrap() error {
	return e.Diags
}

// diagsError returns nil when diags hold no error, and otherwise an *Error
// with the diagnostics in source order, so output is stable even though
// HCL hands attributes over in map order.
func diagsError(diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	sorted := make(hcl.Diagnostics, len(diags))
	copy(sorted, diags)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Subject, sorted[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
	return &Error{Diags: sorted}
}

// errorDiag builds an error diagnostic about the source at rng.
func errorDiag(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}
