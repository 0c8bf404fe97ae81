package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/chatproxy/chatproxy/cmd/chatbench/internal/bench"
	"github.com/chatproxy/chatproxy/internal/app"
	"github.com/chatproxy/chatproxy/internal/config"
)

// runFill opens the database the server's own settings name (environment and .env, as the
// chatproxy command reads them), migrates it and fills it.
func runFill(ctx context.Context, o bench.FillOptions, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	look, err := config.EnvLookup()
	if err != nil {
		return fail(err)
	}
	c, err := config.Load(look)
	if err != nil {
		return fail(err)
	}
	if err := config.EnsureSecrets(&c); err != nil {
		return fail(err)
	}
	fields, err := app.FieldKeyring(c)
	if err != nil {
		return fail(err)
	}
	st, err := app.OpenStore(ctx, c, fields)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fail(err)
	}
	o.Store = st
	o.Every = 10 * time.Second
	o.Progress = func(msg string) { fmt.Fprintln(stderr, "chatbench:", msg) }
	rep, err := bench.Fill(ctx, o)
	fmt.Fprintf(stdout, "filled %d conversations, %d messages in %s (%.0f messages/s)\n",
		rep.Conversations, rep.Messages, rep.Elapsed.Round(time.Millisecond), float64(rep.Messages)/rep.Elapsed.Seconds())
	if err != nil {
		return fail(err)
	}
	return 0
}

// failNever adapts a report that has no pass/fail of its own (targets are read from it).
type failNever struct{ bench.ConsoleReport }

func (failNever) Failed() bool { return false }
