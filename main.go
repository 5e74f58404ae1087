// Command mflowlab is a desktop lab for adversarial defences with manifold-learning
// normalizing flows. Without arguments (or with only flags) it opens the app; with a
// command it runs headless.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/mflowlab/mflowlab/app"
	"github.com/mflowlab/mflowlab/app/cli"
	"github.com/mflowlab/mflowlab/flow/nn"
)

func main() {
	args := os.Args[1:]
	if err := nn.CheckSIMDEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "mflowlab:", err)
		os.Exit(2)
	}
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelp(args[0])) {
		app.Main(args) // never returns
	}
	os.Exit(cli.Main(args, app.Commands()))
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" }
