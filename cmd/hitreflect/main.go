// Command hitreflect turns tutoring providers' session exports and assessment
// files into the figures district reflection meetings need.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hitreflect/hitreflect/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
