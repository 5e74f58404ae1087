package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	gioapp "gioui.org/app"
	"gioui.org/io/system"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/app/ws/cifar"
	"github.com/mflowlab/mflowlab/app/ws/plane"
	"github.com/mflowlab/mflowlab/app/ws/runs"
)

// Main opens the lab's window and never returns: it exits the process when the window
// closes. args are the command line after the program name (flags only).
func Main(args []string) {
	fs := flag.NewFlagSet("mflowlab", flag.ContinueOnError)
	var o windowOptions
	fs.StringVar(&o.flow, "flow", "", "show this flow checkpoint (native or original .pt) instead of training one")
	fs.StringVar(&o.clf, "classifier", "", "use this classifier checkpoint instead of the embedded one")
	fs.StringVar(&o.session, "session", "", "open this session file (saved with Models › session › Save)")
	fs.BoolVar(&o.paused, "paused", false, "start with training paused")
	fs.BoolVar(&o.allLayers, "all-layers", false, "start with every plane layer on (projection field and density too)")
	fs.StringVar(&o.workspace, "workspace", ws.Plane, "workspace shown first: "+workspaceNames())
	fs.StringVar(&o.images, "images", "", "CIFAR-10 tab: its data (a folder, a .bin batch or cifar-10-binary.tar.gz) instead of the usual places")
	fs.StringVar(&o.cnn, "cnn", "", "CIFAR-10 tab: this CNN checkpoint (.mfl or .pt) instead of the cached default CNN")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mflowlab: unexpected arguments %q (commands: mflowlab help)\n", fs.Args())
		os.Exit(2)
	}
	if !knownWorkspace(o.workspace) {
		fmt.Fprintf(os.Stderr, "mflowlab: --workspace %q: want one of %s\n", o.workspace, workspaceNames())
		os.Exit(2)
	}
	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := runWindow(ctx, o); err != nil {
			fmt.Fprintf(os.Stderr, "mflowlab: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}()
	gioapp.Main()
}

// windowOptions are the app's command-line flags.
type windowOptions struct {
	flow, clf, session, workspace string
	images, cnn                   string // the CIFAR-10 tab's data and CNN
	paused, allLayers             bool
}

// runWindow shows the UI in an OS window until it is closed or ctx is cancelled.
func runWindow(ctx context.Context, o windowOptions) error {
	windowProcs()
	w := new(gioapp.Window)
	w.Option(
		gioapp.Title("mflowlab — M-Flow adversarial defence lab"),
		gioapp.Size(unit.Dp(1280), unit.Dp(800)),
		gioapp.MinSize(unit.Dp(800), unit.Dp(560)),
	)
	// Background workers ask for at most one frame per 1/40 s.
	inv := shell.NewLimiter(w.Invalidate, 25*time.Millisecond)
	po := plane.Options{Paused: o.paused || o.flow != "" || o.session != "", AllLayers: o.allLayers}
	ro := runs.Options{Paused: o.paused || o.workspace != ws.Runs}
	u := newShell(ctx, shell.Options{Invalidate: inv.Call}, po, ro)
	defer u.Close()
	p := u.Workspace(ws.Plane).(*plane.Plane)
	if o.clf != "" {
		p.LoadClassifier(o.clf)
	}
	if o.flow != "" {
		p.LoadFlow(o.flow)
	}
	if o.images != "" || o.cnn != "" {
		c := u.Workspace(ws.CIFAR).(*cifar.CIFAR) // kept until the tab is first shown
		s := c.Settings()
		s.Images, s.Classifier = o.images, o.cnn
		c.Apply(s)
	}
	u.Show(o.workspace, nil)
	if o.session != "" {
		u.LoadSession(o.session) // after the others, so that it wins
	}
	go func() {
		<-ctx.Done()
		w.Perform(system.ActionClose)
	}()
	var ops op.Ops
	start := time.Now()
	trace := os.Getenv("MFLOWLAB_TRACE") != "" // one line per frame on stderr
	for {
		ev := w.Event()
		if ctx.Err() != nil {
			return nil
		}
		switch e := ev.(type) {
		case gioapp.DestroyEvent:
			return e.Err
		case gioapp.FrameEvent:
			t0 := time.Now()
			gtx := gioapp.NewContext(&ops, e)
			u.SafeLayout(gtx)
			t1 := time.Now()
			e.Frame(gtx.Ops)
			u.AfterFrame(time.Since(t0))
			if trace {
				_, v := u.Current().Picture()
				fmt.Fprintf(os.Stderr, "mflowlab: frame at %7.3f s: layout %6.2f ms, present %6.2f ms, picture %d\n",
					t0.Sub(start).Seconds(), ms(t1.Sub(t0)), ms(time.Since(t1)), v)
			}
		}
	}
}

// newShell builds the shell with every workspace: the plane (with po), the Runs grid (with
// ro), then the CIFAR-10 gallery (its engine starts when it is first shown).
func newShell(ctx context.Context, so shell.Options, po plane.Options, ro runs.Options) *shell.UI {
	return shell.New(ctx, so, plane.Maker(po), runs.Maker(ro), cifar.Maker(cifar.Options{}))
}

// workspaceNames lists the workspaces' names for help texts.
func workspaceNames() string { return ws.Plane + ", " + ws.Runs + ", " + ws.CIFAR }

// knownWorkspace reports whether name is a workspace of the app.
func knownWorkspace(name string) bool { return name == ws.Plane || name == ws.Runs || name == ws.CIFAR }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
