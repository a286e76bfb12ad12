package ingest

import (
	"github.com/hitreflect/hitreflect/pipeline/profile"
)

// sqlType is the DuckDB type of a parsed field's value.
func sqlType(t profile.FieldType) string {
	switch t {
	case profile.Date:
		return "DATE"
	case profile.Time:
		return "TIME"
	case profile.Minutes, profile.Number, profile.Percentile:
		return "DOUBLE"
	case profile.Integer, profile.Grade:
		return "INTEGER"
	case profile.Flag:
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// needsParsing says whether a field is read through the Go parsers (per
// distinct value) rather than taken as trimmed text in SQL.
func needsParsing(t profile.FieldType) bool {
	return t != profile.ID && t != profile.Text
}
