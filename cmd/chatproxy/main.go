// Command chatproxy is the chat gateway between shop visitors and n8n.
//
// This is main only: the commands (serve, migrate, sites, keys, version) live in internal/cli.
package main

import (
	"context"
	"os"

	"github.com/chatproxy/chatproxy/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
