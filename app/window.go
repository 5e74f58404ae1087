package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	gioapp "gioui.org/app"
	"gioui.org/io/system"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"

	"github.com/mflowlab/mflowlab/ui/plane"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// Main opens the lab's window and never returns: it exits the process when the window
// closes. args are the command line after the program name (flags only).
func Main(args []string) {
	fs := flag.NewFlagSet("mflowlab", flag.ContinueOnError)
	flowPath := fs.String("flow", "", "show this flow checkpoint (native or original .pt) instead of training one")
	clfPath := fs.String("classifier", "", "use this classifier checkpoint instead of the embedded one")
	sessionPath := fs.String("session", "", "open this session file (saved with Models › session › Save)")
	paused := fs.Bool("paused", false, "start with training paused")
	allLayers := fs.Bool("all-layers", false, "start with every plane layer on (projection field and density too)")
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
	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		err := runWindow(ctx, *flowPath, *clfPath, *sessionPath, *paused, *allLayers)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mflowlab: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}()
	gioapp.Main()
}

// runWindow shows the UI in an OS window until it is closed or ctx is cancelled.
func runWindow(ctx context.Context, flowPath, clfPath, sessionPath string, paused, allLayers bool) error {
	windowProcs()
	w := new(gioapp.Window)
	w.Option(
		gioapp.Title("mflowlab — M-Flow adversarial defence lab"),
		gioapp.Size(unit.Dp(1280), unit.Dp(800)),
		gioapp.MinSize(unit.Dp(800), unit.Dp(560)),
	)
	// Background workers ask for at most one frame per 1/40 s.
	inv := newLimiter(w.Invalidate, 25*time.Millisecond)
	u := NewUI(ctx, Options{Paused: paused || flowPath != "" || sessionPath != "", Invalidate: inv.Call})
	defer u.Close()
	if allLayers {
		u.pv.layers = plane.LayerAll
	}
	if clfPath != "" {
		u.lab.LoadClassifier(clfPath)
	}
	if flowPath != "" {
		u.lab.LoadFlow(flowPath)
	}
	if sessionPath != "" {
		u.LoadSession(sessionPath) // after the others, so that it wins
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
				fmt.Fprintf(os.Stderr, "mflowlab: frame at %7.3f s: layout %6.2f ms, present %6.2f ms, plane shown %v\n",
					t0.Sub(start).Seconds(), ms(t1.Sub(t0)), ms(time.Since(t1)), u.pv.shown != nil)
			}
		}
	}
}

// SafeLayout lays out the UI, turning a panic into a message in the status line and a
// second attempt; if that fails too, it draws a plain error screen. No panic escapes.
func (u *UI) SafeLayout(gtx layout.Context) {
	if u.tryLayout(gtx) {
		return
	}
	gtx.Ops.Reset()
	if u.tryLayout(gtx) {
		return
	}
	gtx.Ops.Reset()
	func() {
		defer func() { _ = recover() }()
		var s widgets.Surface
		sz := gtx.Constraints.Max
		f := widgets.NewForm(gtx, u.th, &s, image.Point{}, sz.X, sz.Y, u.th.Window, gtx.Dp(40))
		f.Gap(60)
		f.Text(widgets.Bold, u.th.Body, u.th.Error, "⚠ "+u.lab.status.text)
		f.Caption("The window could not be drawn; the details are on standard error.")
		s.Paint(gtx)
	}()
}

// tryLayout lays out one frame and reports whether it finished without a panic; a panic is
// reported in the status line (with its stack on stderr).
func (u *UI) tryLayout(gtx layout.Context) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "mflowlab: recovered from a panic in the frame: %v\n%s", r, debug.Stack())
			u.lab.Errorf("internal error (recovered): %v", r)
			ok = false
		}
	}()
	u.Layout(gtx)
	return true
}
