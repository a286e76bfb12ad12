package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hitreflect/hitreflect/internal/job"
)

func (e *env) scheduleCmd() *cobra.Command {
	var cfgPath string
	c := &cobra.Command{
		Use:   "schedule --config FILE",
		Short: "Run the job on its schedules until stopped (the unattended nightly job)",
		Long: `Runs the whole job (as hitreflect run) on the config's schedule (default
"0 2 * * *", 02:00 every night), and each source that has a schedule of its
own is fetched and loaded on it. A run still going when its next time comes
is not started twice; a run waits for another hitreflect process to finish
with the warehouse. Logs are structured (JSON when not on a terminal), and
<output>/schedule-status.json says when each job last ran and runs next.

SIGINT or SIGTERM stops it gracefully: the file in hand is finished, then it
exits. A second signal stops at once; the file in hand is rolled back and
loads on the next run. See docs/scheduling.md for systemd and cron.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := e.setup(cfgPath)
			if err != nil {
				return err
			}
			sc, err := job.NewScheduler(s, e.logger(), Version)
			if err != nil {
				return &exitError{ExitUsage, err}
			}
			// The first signal asks for a graceful stop, a second for a hard one.
			signals := make(chan os.Signal, 2)
			signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(signals)
			// Not e.ctx: the process's own signal context ends on the first
			// signal too, and here the first signal must only begin the stop.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hard := make(chan struct{})
			finished := make(chan struct{})
			defer close(finished)
			go func() {
				select {
				case <-signals:
				case <-finished:
					return
				}
				cancel()
				select {
				case <-signals:
					close(hard)
				case <-finished:
				}
			}()
			return sc.Run(ctx, hard)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "the config file (hitreflect.yaml)")
	return c
}
