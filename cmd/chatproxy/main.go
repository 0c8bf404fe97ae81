// Command chatproxy is the chat gateway: see internal/cli for the commands.
package main

import (
	"context"
	"os"

	"github.com/chatproxy/chatproxy/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
