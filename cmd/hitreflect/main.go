// Command hitreflect turns tutoring providers' session exports and assessment
// files into the figures district reflection meetings need.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// The config's timezone (America/Chicago) must load where the system has
	// no zoneinfo of its own: Windows, or a minimal Linux image. Go uses the
	// system's database first, this copy (~450 KB) only when it has none.
	_ "time/tzdata"

	"github.com/hitreflect/hitreflect/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
