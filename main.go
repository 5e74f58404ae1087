// Command mflowlab is a desktop lab for adversarial defences with manifold-learning
// normalizing flows. Without arguments it opens the app; with a command it runs headless.
package main

import (
	"os"

	"github.com/mflowlab/mflowlab/app/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], nil))
}
