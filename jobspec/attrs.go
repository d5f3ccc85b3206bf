package jobspec

import (
	"fmt"
	"math/big"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// The typed getters below read one attribute of a decoded body. Each
// returns nil when the attribute is absent or null, and records a
// diagnostic naming the attribute when its value has the wrong shape, so
// "count = \"three\"" points at count and says a number is wanted.

// describe renders a value for an error message.
func describe(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("string %q", v.AsString())
	case cty.Bool:
		return fmt.Sprintf("bool %t", v.True())
	case cty.Number:
		return "number " + v.AsBigFloat().Text('g', 10)
	default:
		return v.Type().FriendlyName()
	}
}

func invalidValue(name string) string {
	return fmt.Sprintf("Invalid value for %q", name)
}

// attrValue evaluates the named attribute; ok is false when it is absent,
// null or broken.
func (e *evaluator) attrValue(attrs hcl.Attributes, name string) (*hcl.Attribute, cty.Value, bool) {
	a, found := attrs[name]
	if !found {
		return nil, cty.NilVal, false
	}
	v, ok := e.value(a.Expr)
	if !ok || v.IsNull() {
		return a, cty.NilVal, false
	}
	return a, v, true
}

func (e *evaluator) stringAttr(attrs hcl.Attributes, name string) *string {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return nil
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a string, got %s", name, describe(v))
		return nil
	}
	str := s.AsString()
	return &str
}

func (e *evaluator) boolAttr(attrs hcl.Attributes, name string) *bool {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return nil
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be true or false, got %s", name, describe(v))
		return nil
	}
	t := b.True()
	return &t
}

func (e *evaluator) intAttr(attrs hcl.Attributes, name string) *int {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return nil
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a whole number, got %s", name, describe(v))
		return nil
	}
	f := n.AsBigFloat()
	i, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact || int64(int(i)) != i {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a whole number, got %s", name, describe(v))
		return nil
	}
	out := int(i)
	return &out
}

// durationAttr accepts Go duration strings ("10s", "1m30s") and, as Nomad
// does, a bare number of nanoseconds.
func (e *evaluator) durationAttr(attrs hcl.Attributes, name string) *time.Duration {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return nil
	}
	var d time.Duration
	switch v.Type() {
	case cty.String:
		parsed, err := time.ParseDuration(v.AsString())
		if err != nil {
			e.errorf(a.Expr.Range(), invalidValue(name),
				"%s must be a duration such as \"10s\" or \"1m30s\", got %q", name, v.AsString())
			return nil
		}
		d = parsed
	case cty.Number:
		i, acc := v.AsBigFloat().Int64()
		if acc != big.Exact {
			e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a whole number of nanoseconds or a duration string", name)
			return nil
		}
		d = time.Duration(i)
	default:
		e.errorf(a.Expr.Range(), invalidValue(name),
			"%s must be a duration such as \"10s\" or \"1m30s\", got %s", name, describe(v))
		return nil
	}
	if d < 0 {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must not be negative, got %s", name, d)
		return nil
	}
	return &d
}

func (e *evaluator) stringListAttr(attrs hcl.Attributes, name string) []string {
	a, v, ok := e.attrValue(attrs, name)
	if !ok {
		return nil
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || l.IsNull() {
		e.errorf(a.Expr.Range(), invalidValue(name), "%s must be a list of strings, got %s", name, describe(v))
		return nil
	}
	out := make([]string, 0, l.LengthInt())
	for it := l.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			e.errorf(a.Expr.Range(), invalidValue(name), "%s must not contain null", name)
			return nil
		}
		out = append(out, ev.AsString())
	}
	return out
}

// stringMap converts an object or map value to map[string]string, the
// shape of env and meta; numbers and bools become their text.
func (e *evaluator) stringMap(rng hcl.Range, name string, v cty.Value) (map[string]string, bool) {
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		e.errorf(rng, invalidValue(name), "%s must be a map of strings, got %s", name, describe(v))
		return nil, false
	}
	out := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		s, err := convert.Convert(ev, cty.String)
		if err != nil || s.IsNull() {
			e.errorf(rng, invalidValue(name), "%s.%s must be a string, got %s", name, k.AsString(), describe(ev))
			return nil, false
		}
		out[k.AsString()] = s.AsString()
	}
	return out, true
}
