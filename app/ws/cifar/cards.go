package cifar

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"sync"

	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/sim/cifar"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// browseData is what the Browse buttons for the data open the file browser for.
var browseData = widgets.Browse{Title: "Choose CIFAR-10 data: a folder, a .bin batch or cifar-10-binary.tar.gz",
	Exts: []string{".bin", ".gz", ".tgz"}, Use: "Use reads it"}

// cardForm starts a form for a card centred in the content area, w dp wide.
func (g *galleryView) cardForm(gtx layout.Context, w int) (*widgets.Form, image.Point) {
	th := g.c.th
	cw := min(gtx.Dp(unit.Dp(w)), g.content.Dx()-gtx.Dp(40))
	org := image.Pt(g.content.Min.X+(g.content.Dx()-cw)/2, g.content.Min.Y+gtx.Dp(40))
	return widgets.NewForm(gtx, th, &g.card, org, cw, g.content.Dy(), th.Card, gtx.Dp(22)), org
}

// finishCard sizes the card to its content, frames it and paints it.
func (g *galleryView) finishCard(gtx layout.Context, f *widgets.Form, org image.Point) {
	th := g.c.th
	f.Gap(16)
	box := image.Rect(0, 0, f.X*2+f.W, f.Y)
	f.L.Underlay(func(l *widgets.List) { l.Box(box, f.Dp(8), th.Card, th.Border) })
	g.card.Resize(box.Dx(), box.Dy())
	g.card.PaintAt(gtx, org)
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}
}

// firstRun is the card shown without data: where CIFAR-10 was looked for, the download
// (with progress; an interrupted one resumes) and a path to point at.
func (g *galleryView) firstRun(gtx layout.Context) {
	c := g.c
	th := c.th
	f, org := g.cardForm(gtx, 620)
	f.Gap(18)
	f.Text(widgets.Bold, th.Title, th.Text, "CIFAR-10 data not found")
	f.Gap(4)
	f.Caption("The gallery attacks real CIFAR-10 images. It looked here:")
	for _, l := range lookedLines(c.snap) {
		f.Text(widgets.Mono, th.Small, th.Muted, "  "+l)
	}
	f.Gap(12)
	f.Text(widgets.Bold, th.Body, th.Text, "Download the official archive")
	dir, err := cifar.DefaultDir()
	if err != nil {
		f.Text(widgets.Regular, th.Small, th.Error, err.Error())
	} else {
		f.Caption(fmt.Sprintf("%d MB from %s into %s;", cifar.ArchiveMB, "cs.toronto.edu", dir))
		f.Caption("MD5-checked, and an interrupted download resumes where it stopped.")
		c.dl.form(c, f, &g.dlB, &g.cancelB, dir)
	}
	f.Gap(12)
	f.Text(widgets.Bold, th.Body, th.Text, "Or use data you have")
	ln := f.Line(26)
	ln.Field(&g.path, ln.Rest()-f.Dp(12)-widgets.BrowseWidth(f)-f.ButtonWidth("Use"), "folder, data_batch_1.bin … or cifar-10-binary.tar.gz")
	if ln.Button(&g.browse, widgets.Secondary, widgets.BrowseLabel, widgets.BrowseWidth(f)) {
		c.host.Browse(browseData, &g.path)
	}
	if ln.Button(&g.use, widgets.Primary, "Use", 0) || g.path.Submitted() {
		c.useData(g.path.Text())
	}
	f.Caption("Developers: the shared test batch is found through MFLOWLAB_SHARED.")
	g.finishCard(gtx, f, org)
}

// lookedLines returns where the engine looked for the data and why each place was
// refused: the lines of its error after "looked in:", else the places it names.
func lookedLines(s *Snapshot) []string {
	var out []string
	if s.Err != nil {
		msg := s.Err.Error()
		if _, rest, ok := strings.Cut(msg, "looked in:"); ok {
			for _, l := range strings.Split(rest, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
			return out
		}
		if len(s.Looked) == 0 {
			return strings.Split(msg, "\n")
		}
	}
	return s.Looked
}

// useData points the engine at the CIFAR-10 data at path.
func (c *CIFAR) useData(path string) {
	p := widgets.CleanPath(path)
	if p == "" {
		c.host.Errorf("type or browse to a CIFAR-10 folder or file first")
		return
	}
	s := c.settings
	s.Images = p
	c.pan.data.path.SetText(p)
	c.Apply(s)
	c.host.Infof("reading CIFAR-10 from %s", p)
}

// stopped is the card shown when the engine stopped with an error before it had samples
// (a bad checkpoint, unreadable data): the error and where to change the setting.
func (g *galleryView) stopped(gtx layout.Context) {
	c := g.c
	th := c.th
	f, org := g.cardForm(gtx, 560)
	f.Gap(18)
	f.Text(widgets.Bold, th.Title, th.Error, "The gallery stopped")
	f.Gap(4)
	for _, l := range strings.Split(c.snap.Err.Error(), "\n") {
		f.Paragraph(l, 4)
	}
	f.Gap(6)
	f.Caption("Change the data, the CNN or the defence in the side panel; the gallery")
	f.Caption("starts again with the new setting.")
	g.finishCard(gtx, f, org)
}

// preparing is the card shown while the engine has no samples yet: its stage and
// progress (loading the data, training the default CNN, fitting the PCA).
func (g *galleryView) preparing(gtx layout.Context) {
	c := g.c
	th := c.th
	f, org := g.cardForm(gtx, 520)
	f.Gap(18)
	f.Text(widgets.Bold, th.Title, th.Text, "Preparing the gallery")
	f.Gap(4)
	stage, p := "starting", 0.0
	if s := c.snap; s != nil && s.Stage != "" {
		stage, p = s.Stage, s.Progress
	}
	f.Text(widgets.Regular, th.Body, th.Text, stage)
	progressBar(f, p)
	f.Caption("The default CNN is trained once on the train split (a few minutes on two")
	f.Caption("cores) and cached; Models loads a checkpoint of your own instead.")
	g.finishCard(gtx, f, org)
}

// progressBar draws a full-width bar filled to share p.
func progressBar(f *widgets.Form, p float64) {
	r := f.Rect(f.Dp(8))
	f.L.Box(r, f.Dp(4), f.T.Panel, f.T.Border)
	if p > 0 {
		w := int(float64(r.Dx()) * min(1, p))
		f.L.Fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+max(w, f.Dp(8)), r.Max.Y), f.Dp(4), f.T.Accent)
	}
	f.Gap(6)
}

// download is a running or finished download of the official archive.
type download struct {
	mu       sync.Mutex
	running  bool
	stop     context.CancelFunc
	prog     cifar.Progress
	msg      string
	finished *cifar.Result
	err      error
}

// active reports whether a download runs.
func (d *download) active() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running
}

// start downloads into dir in the background.
func (d *download) start(c *CIFAR, dir string) {
	d.mu.Lock()
	if d.running {
		d.mu.Unlock()
		return
	}
	ctx, stop := context.WithCancel(c.host.Context())
	d.running, d.stop, d.err, d.finished, d.msg = true, stop, nil, nil, "connecting…"
	d.mu.Unlock()
	inv := c.host.Invalidate
	dl := &cifar.Download{Dir: dir,
		Progress: func(p cifar.Progress) {
			d.mu.Lock()
			d.prog = p
			d.mu.Unlock()
			inv()
		},
		Log: func(m string) {
			d.mu.Lock()
			d.msg = m
			d.mu.Unlock()
			inv()
		}}
	if c.opts.Download != nil {
		c.opts.Download(dl)
	}
	go func() {
		res, err := dl.Run(ctx)
		d.mu.Lock()
		d.running = false
		if err != nil {
			d.err = err
		} else {
			d.finished = &res
		}
		d.mu.Unlock()
		inv()
	}()
}

// cancel stops a running download (its .part file stays for the next one).
func (d *download) cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		d.stop()
	}
}

// poll applies a finished download: the engine reads the archive.
func (d *download) poll(c *CIFAR) {
	d.mu.Lock()
	res, err := d.finished, d.err
	d.finished, d.err = nil, nil
	d.mu.Unlock()
	if err != nil {
		c.host.Errorf("download: %v (Download again resumes it)", err)
	}
	if res != nil {
		c.host.Infof("downloaded %s (%.0f MB)", res.Path, float64(res.Size)/1e6)
		c.useData(filepath.Dir(res.Path))
	}
}

// form draws the download's button, progress and messages on f.
func (d *download) form(c *CIFAR, f *widgets.Form, start, cancel *widget.Clickable, dir string) {
	th := c.th
	d.mu.Lock()
	running, p, msg := d.running, d.prog, d.msg
	d.mu.Unlock()
	ln := f.Line(26)
	if !running {
		if ln.Button(start, widgets.Primary, "Download CIFAR-10", 0) {
			d.start(c, dir)
		}
		return
	}
	if ln.Button(cancel, widgets.Secondary, "Cancel", 0) {
		d.cancel()
	}
	share := 0.0
	text := msg
	if p.Total > 0 {
		share = float64(p.Done) / float64(p.Total)
		text = fmt.Sprintf("%.1f of %.1f MB (%.0f%%)", float64(p.Done)/1e6, float64(p.Total)/1e6, 100*share)
		if p.Start > 0 {
			text += fmt.Sprintf(" · resumed at %.1f MB", float64(p.Start)/1e6)
		}
		if p.Attempt > 1 {
			text += fmt.Sprintf(" · attempt %d", p.Attempt)
		}
	}
	ln.Label(text, th.Muted)
	progressBar(f, share)
}
