package structs

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// How the diff walks a struct: each exported field is, by its kind, a
// value (compared as a rendered string), a map or list of values, a
// nested block, a list of blocks (compared as a set: an edited constraint
// is one Deleted and one Added block, as in Nomad), or free-form data such
// as a driver config (flattened to "args[0]"-style keys).

// diffObjectNames are the block names Nomad gives list fields; any other
// list field's blocks are named after the field without its plural "s".
var diffObjectNames = map[string]string{
	"Constraints":   "Constraint",
	"Affinities":    "Affinity",
	"Spreads":       "Spread",
	"SpreadTarget":  "SpreadTarget",
	"Networks":      "Network",
	"ReservedPorts": "Static Port",
	"DynamicPorts":  "Dynamic Port",
	"Artifacts":     "Artifact",
}

type fieldKind int

const (
	kindValue fieldKind = iota
	kindValueMap
	kindValueSet
	kindObject
	kindObjectSet
	kindFree
)

var (
	durationType = reflect.TypeOf(time.Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

func kindOf(t reflect.Type) fieldKind {
	switch {
	case isValueType(t):
		return kindValue
	case t.Kind() == reflect.Map && isValueType(t.Elem()):
		return kindValueMap
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && isValueType(t.Elem()):
		return kindValueSet
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && isStructType(t.Elem()):
		return kindObjectSet
	case isStructType(t):
		return kindObject
	}
	return kindFree
}

func isValueType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType || t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isStructType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

// diffParts walks the fields of two values of one struct type (either may
// be invalid: absent) and returns their flattened values and the diffs of
// their nested blocks.
func diffParts(old, new reflect.Value, skip map[string]bool, contextual bool) (map[string]string, map[string]string, []*ObjectDiff) {
	oldFlat, newFlat := map[string]string{}, map[string]string{}
	t := typeOf(old, new)
	if t == nil {
		return oldFlat, newFlat, nil
	}
	var objects []*ObjectDiff
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || skip[f.Name] {
			continue
		}
		ov, nv := fieldAt(old, i), fieldAt(new, i)
		switch kindOf(f.Type) {
		case kindValue, kindValueMap:
			flattenInto(oldFlat, f.Name, ov)
			flattenInto(newFlat, f.Name, nv)
		case kindValueSet:
			objects = appendDiff(objects, valueSetDiff(f.Name, ov, nv, contextual))
		case kindObject:
			objects = appendDiff(objects, objectDiff(objectName(f.Name, false), deref(ov), deref(nv), contextual))
		case kindObjectSet:
			objects = append(objects, objectSetDiff(objectName(f.Name, true), ov, nv, contextual)...)
		case kindFree:
			objects = appendDiff(objects, freeDiff(f.Name, ov, nv, contextual))
		}
	}
	return oldFlat, newFlat, objects
}

func appendDiff(list []*ObjectDiff, d *ObjectDiff) []*ObjectDiff {
	if d == nil {
		return list
	}
	return append(list, d)
}

func typeOf(old, new reflect.Value) reflect.Type {
	if old.IsValid() {
		return old.Type()
	}
	if new.IsValid() {
		return new.Type()
	}
	return nil
}

func fieldAt(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() {
		return v
	}
	return v.Field(i)
}

// deref follows pointers and interfaces; nil ones become invalid (absent).
func deref(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func objectName(field string, list bool) string {
	if n, ok := diffObjectNames[field]; ok {
		return n
	}
	if list {
		return strings.TrimSuffix(field, "s")
	}
	return field
}

// objectDiff compares one block; nil when it is absent on both sides or
// unchanged.
func objectDiff(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	if !old.IsValid() && !new.IsValid() {
		return nil
	}
	oldFlat, newFlat, objects := diffParts(old, new, nil, contextual)
	return finishObject(name, presence(old.IsValid(), new.IsValid()), oldFlat, newFlat, objects, contextual)
}

func finishObject(name string, typ DiffType, oldFlat, newFlat map[string]string, objects []*ObjectDiff, contextual bool) *ObjectDiff {
	fields := fieldDiffs(oldFlat, newFlat, contextual)
	if typ == DiffTypeNone {
		if !changed(fields, objects) {
			return nil
		}
		typ = DiffTypeEdited
	}
	return &ObjectDiff{Type: typ, Name: name, Fields: fields, Objects: objects}
}

// freeDiff compares free-form data (a driver config) as one block of
// flattened keys: "command", "args[0]", "port_map[0][db]".
func freeDiff(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	oldFlat, newFlat := map[string]string{}, map[string]string{}
	flattenInto(oldFlat, "", old)
	flattenInto(newFlat, "", new)
	return finishObject(name, presence(len(oldFlat) > 0, len(newFlat) > 0), oldFlat, newFlat, nil, contextual)
}

// objectSetDiff compares two lists of blocks as multisets: blocks equal
// in every field are matched and left out, the rest are Deleted or Added.
func objectSetDiff(name string, old, new reflect.Value, contextual bool) []*ObjectDiff {
	oldItems, newItems := setItems(old), setItems(new)
	oldCount, newCount := map[string]int{}, map[string]int{}
	for _, it := range oldItems {
		oldCount[it.key]++
	}
	for _, it := range newItems {
		newCount[it.key]++
	}
	var out []*ObjectDiff
	for _, it := range oldItems {
		if newCount[it.key] > 0 {
			newCount[it.key]--
			continue
		}
		out = appendDiff(out, objectDiff(name, it.v, reflect.Value{}, contextual))
	}
	for _, it := range newItems {
		if oldCount[it.key] > 0 {
			oldCount[it.key]--
			continue
		}
		out = appendDiff(out, objectDiff(name, reflect.Value{}, it.v, contextual))
	}
	return out
}

type setItem struct {
	v   reflect.Value
	key string
}

func setItems(list reflect.Value) []setItem {
	list = deref(list)
	if !list.IsValid() {
		return nil
	}
	out := make([]setItem, 0, list.Len())
	for i := 0; i < list.Len(); i++ {
		v := deref(list.Index(i))
		if !v.IsValid() {
			continue
		}
		flat := map[string]string{}
		flattenInto(flat, "", v)
		keys := make([]string, 0, len(flat))
		for k, val := range flat {
			keys = append(keys, k+"="+val)
		}
		sort.Strings(keys)
		out = append(out, setItem{v: v, key: strings.Join(keys, "\x00")})
	}
	return out
}

// valueSetDiff compares a list of values (datacenters) as a set: one
// field per value, all named after the list, as Nomad shows them.
func valueSetDiff(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	oldVals, newVals := renderList(old), renderList(new)
	inOld, inNew := toSet(oldVals), toSet(newVals)
	var fields []*FieldDiff
	edits := 0
	for _, v := range oldVals {
		switch {
		case !inNew[v]:
			fields = append(fields, &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: v})
			edits++
		case contextual:
			fields = append(fields, &FieldDiff{Type: DiffTypeNone, Name: name, Old: v, New: v})
		}
	}
	for _, v := range newVals {
		if !inOld[v] {
			fields = append(fields, &FieldDiff{Type: DiffTypeAdded, Name: name, New: v})
			edits++
		}
	}
	if edits == 0 {
		return nil
	}
	typ := DiffTypeEdited
	switch {
	case len(oldVals) == 0:
		typ = DiffTypeAdded
	case len(newVals) == 0:
		typ = DiffTypeDeleted
	}
	return &ObjectDiff{Type: typ, Name: name, Fields: fields}
}

func renderList(list reflect.Value) []string {
	list = deref(list)
	if !list.IsValid() {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for i := 0; i < list.Len(); i++ {
		if s, ok := render(list.Index(i)); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func toSet(vals []string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// fieldDiffs compares flattened values by key, in key order. A value
// missing or empty on one side is Added or Deleted; with contextual,
// unchanged values are listed as None.
func fieldDiffs(old, new map[string]string, contextual bool) []*FieldDiff {
	keys := make([]string, 0, len(old)+len(new))
	for k := range old {
		keys = append(keys, k)
	}
	for k := range new {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []*FieldDiff
	for _, k := range keys {
		o, n := old[k], new[k]
		d := &FieldDiff{Name: k, Old: o, New: n}
		switch {
		case o == n:
			if !contextual || o == "" {
				continue
			}
			d.Type = DiffTypeNone
		case o == "":
			d.Type = DiffTypeAdded
		case n == "":
			d.Type = DiffTypeDeleted
		default:
			d.Type = DiffTypeEdited
		}
		out = append(out, d)
	}
	return out
}

// flattenInto renders v into out under prefix: a value as itself, a map
// entry as prefix[key], a list element as prefix[i], a struct field as
// prefix[Field] (or Field at the top). Absent values add nothing.
func flattenInto(out map[string]string, prefix string, v reflect.Value) {
	v = deref(v)
	if !v.IsValid() {
		return
	}
	if s, ok := render(v); ok {
		out[prefix] = s
		return
	}
	switch v.Kind() {
	case reflect.Map:
		keys := v.MapKeys()
		for _, k := range keys {
			flattenInto(out, subKey(prefix, fmt.Sprint(deref(k).Interface())), v.MapIndex(k))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			flattenInto(out, subKey(prefix, strconv.Itoa(i)), v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				flattenInto(out, subKey(prefix, f.Name), v.Field(i))
			}
		}
	default:
		out[prefix] = fmt.Sprint(v.Interface())
	}
}

func subKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "[" + key + "]"
}

// render formats a value the way Nomad's diffs do; ok is false for
// anything that is not a single value.
func render(v reflect.Value) (string, bool) {
	v = deref(v)
	if !v.IsValid() {
		return "", false
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return "", true
		}
		return t.UTC().Format(time.RFC3339Nano), true
	}
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.String:
		return v.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), true
	}
	return "", false
}
