// Package wiring builds the parts that cmd assembles: the connector registry.
package wiring

import (
	"github.com/hitreflect/hitreflect/connectors"
	"github.com/hitreflect/hitreflect/connectors/https"
	"github.com/hitreflect/hitreflect/connectors/local"
	"github.com/hitreflect/hitreflect/connectors/sftp"
)

// Connectors registers every built-in connector type.
func Connectors() *connectors.Registry {
	r := connectors.NewRegistry()
	must(r.Register("local", local.New))
	must(r.Register("sftp", sftp.New))
	must(r.Register("https", https.New))
	return r
}

func must(err error) {
	if err != nil {
		panic(err) // a programming error: two built-ins with one name
	}
}
