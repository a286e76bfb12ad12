package config

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Codes maps a file's codes to canonical values (status_values and the
// like). Keys and values are kept as written: YAML would otherwise read
// 1: attended as the number 1 and 0101 as octal 65.
type Codes map[string]string

// UnmarshalYAML reads a mapping of scalars, taking each token's own text.
func (c *Codes) UnmarshalYAML(b []byte) error {
	file, err := parser.ParseBytes(b, 0)
	if err != nil {
		return err
	}
	out := Codes{}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		*c = out
		return nil
	}
	var pairs []*ast.MappingValueNode
	switch n := file.Docs[0].Body.(type) {
	case *ast.MappingNode:
		pairs = n.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{n}
	case *ast.NullNode:
	default:
		return fmt.Errorf("expected pairs of code: value, got %s", n.Type())
	}
	for _, p := range pairs {
		k, kok := scalarText(p.Key)
		v, vok := scalarText(p.Value)
		if !kok || !vok {
			return fmt.Errorf("expected code: value pairs of plain text, at %q", p.Key.String())
		}
		out[k] = v
	}
	*c = out
	return nil
}

func scalarText(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.NullNode:
		return "", true
	case ast.ScalarNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// Columns maps canonical fields to the headers that may hold them, in order
// of preference: a plain header, or a list whose first non-empty cell counts.
type Columns map[string]Headers

// Headers is one field's headers, in order of preference.
type Headers []string

// First is the preferred header ("" when none).
func (h Headers) First() string {
	if len(h) == 0 {
		return ""
	}
	return h[0]
}

// UnmarshalYAML reads a header or a list of headers, as written.
func (h *Headers) UnmarshalYAML(b []byte) error {
	file, err := parser.ParseBytes(b, 0)
	if err != nil {
		return err
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		*h = nil
		return nil
	}
	switch n := file.Docs[0].Body.(type) {
	case *ast.SequenceNode:
		out := make(Headers, 0, len(n.Values))
		for _, v := range n.Values {
			t, ok := scalarText(v)
			if !ok {
				return fmt.Errorf("expected a list of headers, at %q", v.String())
			}
			out = append(out, t)
		}
		*h = out
	default:
		t, ok := scalarText(n)
		if !ok {
			return fmt.Errorf("expected a header or a list of headers, got %s", n.Type())
		}
		*h = Headers{t}
	}
	return nil
}
