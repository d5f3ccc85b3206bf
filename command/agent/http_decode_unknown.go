package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// UnknownFields lists the keys of a JSON document that encoding/json would
// silently drop when decoding it into into's type: a Nomad job can
// carry blocks orch does not implement (Services, Periodic, ...),
// and a user must learn that they were ignored, as the HCL parser tells
// them. Each entry is "<path>: not supported by orch yet; ignored", the
// path naming the key as Nomad's JSON spells it, e.g.
// "Job.TaskGroups[0].Services".
//
// Keys holding nothing (null, zero, an empty object or list, or only
// such values) are not reported: Nomad's Go client writes every field of
// its types, set or not, and warning about its empty defaults would bury
// the few that matter. Free-form values (Task.Config) are not walked.
//
// The HTTP job endpoints return them as warnings; the CLI uses it for a
// JSON job file it decodes itself before sending.
func UnknownFields(body []byte, into interface{}) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc interface{}
	if err := dec.Decode(&doc); err != nil {
		// The caller's typed decode reports malformed input.
		return nil
	}
	var out []string
	walkUnknown("", doc, reflect.TypeOf(into), &out)
	return out
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

func walkUnknown(path string, v interface{}, t reflect.Type, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return // the type decodes itself; its keys are its own business
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]interface{})
		if !ok {
			return
		}
		fields := jsonFields(t)
		for _, key := range sortedKeys(obj) {
			f, ok := matchField(fields, key)
			switch {
			case ok:
				walkUnknown(joinPath(path, f.name), obj[key], f.typ, out)
			case !isEmptyJSON(obj[key]):
				*out = append(*out, joinPath(path, key)+": not supported by orch yet; ignored")
			}
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]interface{})
		if !ok {
			return
		}
		for i, elem := range list {
			walkUnknown(path+"["+strconv.Itoa(i)+"]", elem, t.Elem(), out)
		}
	case reflect.Map:
		obj, ok := v.(map[string]interface{})
		if !ok {
			return
		}
		for _, key := range sortedKeys(obj) {
			walkUnknown(path+"["+strconv.Quote(key)+"]", obj[key], t.Elem(), out)
		}
	}
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the fields encoding/json decodes into for t: exported
// fields under their tag name, with the fields of untagged embedded
// structs promoted after the struct's own, which therefore match first.
func jsonFields(t reflect.Type) []jsonField {
	var own, promoted []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				promoted = append(promoted, jsonFields(ft)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		own = append(own, jsonField{name: name, typ: sf.Type})
	}
	return append(own, promoted...)
}

// matchField finds the field a JSON key decodes into the way encoding/json
// does: an exact name first, then one equal under case folding.
func matchField(fields []jsonField, key string) (jsonField, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return jsonField{}, false
}

// isEmptyJSON reports whether a decoded JSON value carries nothing a user
// could have meant to set.
func isEmptyJSON(v interface{}) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case []interface{}:
		for _, e := range v {
			if !isEmptyJSON(e) {
				return false
			}
		}
		return true
	case map[string]interface{}:
		for _, e := range v {
			if !isEmptyJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}

func sortedKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// FormatWarnings writes warnings in the shape of Nomad's Warnings field,
// which its CLI prints under "Job Warnings:"; "" when there are none.
func FormatWarnings(warnings []string) string {
	switch len(warnings) {
	case 0:
		return ""
	case 1:
		return "1 warning:\n\n* " + warnings[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d warnings:\n", len(warnings))
	for _, w := range warnings {
		b.WriteString("\n* " + w)
	}
	return b.String()
}
