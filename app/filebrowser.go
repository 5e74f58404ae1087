package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/widget"

	"github.com/mflowlab/mflowlab/ui/widgets"
)

// browseKind is what a file browser is opened for: its title and the files it lists.
type browseKind uint8

const (
	browseData   browseKind = iota // a data set for the Data panel
	browseModels                   // a checkpoint or session for the Models panel
)

func (k browseKind) title() string {
	if k == browseModels {
		return "Choose a checkpoint or session"
	}
	return "Choose a data file"
}

// exts are the file name extensions listed while "show all files" is off.
func (k browseKind) exts() []string {
	if k == browseModels {
		return []string{".mfl", ".pt", ".pth", ".mflsession"}
	}
	return []string{".csv", ".pt"}
}

// browseLabel is the text of the Browse buttons next to the panels' path fields.
const browseLabel = "Browse…"

// browseWidth returns the width of a Browse button on f.
func browseWidth(f *widgets.Form) int { return buttonWidth(f, browseLabel) }

// buttonWidth returns the width Line.Button gives a button labelled s.
func buttonWidth(f *widgets.Form, s string) int {
	return f.Face(widgets.Regular, f.T.Body).Measure(s) + f.Dp(20)
}

// Listing limits and timing.
const (
	maxListing  = 5000                   // entries read from one folder at most
	doubleClick = 400 * time.Millisecond // longest gap between the presses of a double-click
)

// fbEntry is one row of the browser: a folder, a file or the parent folder.
type fbEntry struct {
	name string
	dir  bool
	up   bool // the ".." row
	size int64
	mod  time.Time
}

// fbListing is what reading one folder found.
type fbListing struct {
	dir     string    // the folder
	entries []fbEntry // folders first, then files, each sorted by name
	capped  bool      // the folder holds more than the entries read
	pick    string    // the entry to select once shown
	err     error     // the folder could not be read (entries may still hold a part)
}

// readListing resolves path to a folder and reads at most limit of its entries. A path
// naming a file lists the file's folder with the file picked; with walkUp a missing path
// lists its nearest existing ancestor, picking the missing path's name.
func readListing(path, pick string, walkUp bool, limit int) fbListing {
	p := filepath.Clean(path)
	for {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			l := readFolder(p, limit)
			l.pick = pick
			return l
		case err == nil:
			p, pick = filepath.Dir(p), filepath.Base(p)
		case walkUp && filepath.Dir(p) != p:
			if pick == "" {
				pick = filepath.Base(p)
			}
			p = filepath.Dir(p)
		default:
			return fbListing{dir: p, err: err}
		}
	}
}

// readFolder reads at most limit entries of the folder dir and sorts them.
func readFolder(dir string, limit int) fbListing {
	l := fbListing{dir: dir}
	f, err := os.Open(dir)
	if err != nil {
		l.err = err
		return l
	}
	defer f.Close()
	for len(l.entries) < limit {
		des, err := f.ReadDir(min(256, limit-len(l.entries)))
		for _, de := range des {
			l.entries = append(l.entries, entryOf(dir, de))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			l.err = err
			break
		}
	}
	if len(l.entries) >= limit {
		more, _ := f.ReadDir(1)
		l.capped = len(more) > 0
	}
	slices.SortFunc(l.entries, compareEntries)
	return l
}

// entryOf describes de, a link by what it points to.
func entryOf(dir string, de fs.DirEntry) fbEntry {
	e := fbEntry{name: de.Name(), dir: de.IsDir()}
	var info fs.FileInfo
	if de.Type()&fs.ModeSymlink != 0 {
		info, _ = os.Stat(filepath.Join(dir, e.name))
	}
	if info == nil {
		info, _ = de.Info()
	}
	if info != nil {
		e.dir, e.mod = info.IsDir(), info.ModTime()
		if !e.dir {
			e.size = info.Size()
		}
	}
	return e
}

// compareEntries orders folders before files, then by name ignoring case.
func compareEntries(a, b fbEntry) int {
	if a.dir != b.dir {
		if a.dir {
			return -1
		}
		return 1
	}
	if c := strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

// fbTag is an input tag of the browser: a distinct address.
type fbTag struct{ _ byte }

// fileBrowser is the file browser opened by the Browse buttons: a modal card over the
// plane that lists one folder and puts the file the user picks into a panel's path field.
// Folders are read in background jobs (on the frame's goroutine with Options.Sync). The
// card's chrome and the visible rows of the list are drawn on two CPU surfaces, so that an
// unchanged browser costs two cached images a frame and scrolling redraws only the list.
type fileBrowser struct {
	u      *UI
	shown  bool
	kind   browseKind
	target *widgets.Field // the path field that Choose fills
	wd     string         // the working directory: chosen paths inside it are made relative

	dir      string    // the folder listed
	listing  fbListing // the last listing read
	loading  bool      // a listing is being read
	seq      uint64    // number of the newest listing request
	prefill  bool      // the next listing is the first: its pick names the file to save
	rows     []fbEntry // what the list shows: "..", folders, matching files
	hidden   int       // entries the filter hides
	sel      int       // selected row, −1 for none
	hoverY   int       // pointer's height over the list, −1 when away
	scroll   int       // pixels of the list scrolled off the top
	reveal   bool      // scroll the selection into view
	problem  string    // the last action's error, shown under the list
	clickRow int       // row and time of the last press, for double-clicks
	clickAt  time.Duration

	folder, name       widgets.Field
	showAll            widgets.Toggle
	up, cancel, choose widget.Clickable
	nameTo             *string        // text for the name field once it is not being edited
	unfocus            bool           // drop the keyboard focus in the next frame
	fill               *widgets.Field // a field waiting for the chosen path (it had the focus)
	fillText           string

	chrome, list  widgets.Surface
	scrimT, listT fbTag
	listR         image.Rectangle // the list's area in window pixels in the last frame
	allR          image.Rectangle // the "show all files" line in window pixels (tests click it)
	rowH          int
}

// Open shows the browser for kind in the folder of target's path (the working directory
// when it is empty); Choose puts the chosen path into target.
func (fb *fileBrowser) Open(u *UI, kind browseKind, target *widgets.Field) {
	fb.u, fb.kind, fb.target, fb.shown = u, kind, target, true
	fb.problem, fb.unfocus, fb.prefill = "", true, true
	fb.dir, fb.listing, fb.rows, fb.hidden = "", fbListing{}, fb.rows[:0], 0
	fb.sel, fb.hoverY, fb.scroll, fb.clickRow = -1, -1, 0, -1
	fb.showAll.Value = false
	fb.setName("")
	fb.wd, _ = os.Getwd()
	p := cleanPath(target.Text())
	if p == "" {
		p = fb.wd
	} else if !filepath.IsAbs(p) && fb.wd != "" {
		p = filepath.Join(fb.wd, p)
	}
	fb.navigate(p, "", true)
}

// Shown reports whether the browser is open.
func (fb *fileBrowser) Shown() bool { return fb.shown }

// close hides the browser; a listing still being read is dropped.
func (fb *fileBrowser) close(gtx layout.Context) {
	fb.shown, fb.loading = false, false
	fb.seq++
	gtx.Execute(key.FocusCmd{Tag: nil})
	gtx.Execute(op.InvalidateCmd{})
}

// navigate lists path (see readListing), selecting pick.
func (fb *fileBrowser) navigate(path, pick string, walkUp bool) {
	fb.seq++
	seq := fb.seq
	fb.loading, fb.problem = true, ""
	if fb.u.opts.Sync {
		fb.apply(readListing(path, pick, walkUp, maxListing))
		return
	}
	fb.u.lab.goJob(func(context.Context) func() {
		l := readListing(path, pick, walkUp, maxListing)
		return func() {
			if fb.seq == seq {
				fb.apply(l)
			}
		}
	})
}

// apply shows a listing that was read.
func (fb *fileBrowser) apply(l fbListing) {
	fb.loading = false
	fb.listing, fb.dir = l, l.dir
	fb.folder.SetText(l.dir)
	fb.scroll, fb.clickRow, fb.reveal = 0, -1, true
	fb.filter()
	fb.sel = fb.find(l.pick)
	if l.pick != "" && (fb.prefill || fb.sel >= 0 && !fb.rows[fb.sel].dir) {
		fb.setName(l.pick)
	}
	fb.prefill = false
}

// filter makes the rows from the listing: "..", then the folders and the files that
// match, dot files and other types only with "show all files".
func (fb *fileBrowser) filter() {
	fb.rows, fb.hidden = fb.rows[:0], 0
	if fb.dir != "" && filepath.Dir(fb.dir) != fb.dir {
		fb.rows = append(fb.rows, fbEntry{name: "..", dir: true, up: true})
	}
	exts := fb.kind.exts()
	for _, e := range fb.listing.entries {
		other := !e.dir && !slices.Contains(exts, strings.ToLower(filepath.Ext(e.name)))
		if !fb.showAll.Value && (strings.HasPrefix(e.name, ".") || other) {
			fb.hidden++
			continue
		}
		fb.rows = append(fb.rows, e)
	}
}

// find returns the row of the entry called name, or −1.
func (fb *fileBrowser) find(name string) int {
	for i, r := range fb.rows {
		if !r.up && r.name == name && name != "" {
			return i
		}
	}
	return -1
}

// entry returns the listed entry called name, shown or not.
func (fb *fileBrowser) entry(name string) (fbEntry, bool) {
	for _, e := range fb.listing.entries {
		if e.name == name {
			return e, true
		}
	}
	return fbEntry{}, false
}

// setName puts s into the name field as soon as the user is not editing it.
func (fb *fileBrowser) setName(s string) { fb.nameTo = &s }

// selectRow selects row i; a file's name goes into the name field.
func (fb *fileBrowser) selectRow(i int) {
	if i < 0 || i >= len(fb.rows) {
		return
	}
	fb.sel, fb.reveal = i, true
	if r := fb.rows[i]; !r.dir {
		fb.setName(r.name)
	}
}

// move moves the selection by d rows.
func (fb *fileBrowser) move(d int) {
	n := len(fb.rows)
	switch {
	case n == 0:
	case fb.sel < 0 && d > 0:
		fb.selectRow(0)
	case fb.sel < 0:
		fb.selectRow(n - 1)
	default:
		fb.selectRow(max(0, min(n-1, fb.sel+d)))
	}
}

// enter opens the folder of row i.
func (fb *fileBrowser) enter(i int) {
	r := fb.rows[i]
	if r.up {
		fb.parent()
		return
	}
	fb.navigate(filepath.Join(fb.dir, r.name), "", false)
}

// parent lists the parent folder with the current one selected.
func (fb *fileBrowser) parent() {
	if fb.dir == "" || filepath.Dir(fb.dir) == fb.dir {
		return
	}
	fb.navigate(filepath.Dir(fb.dir), filepath.Base(fb.dir), false)
}

// activate opens row i if it is a folder and chooses it if it is a file.
func (fb *fileBrowser) activate(gtx layout.Context, i int) {
	if i < 0 || i >= len(fb.rows) {
		return
	}
	if r := fb.rows[i]; r.dir {
		fb.enter(i)
	} else {
		fb.finish(gtx, filepath.Join(fb.dir, r.name))
	}
}

// chosen returns the path Choose would fill in: the folder joined with the name typed
// (an absolute name as it is), else the selected file; "" when there is none.
func (fb *fileBrowser) chosen() string {
	if fb.dir == "" {
		return ""
	}
	if name := cleanPath(fb.name.Text()); name != "" {
		if filepath.IsAbs(name) {
			return name
		}
		return filepath.Join(fb.dir, name)
	}
	if fb.sel >= 0 && fb.sel < len(fb.rows) && !fb.rows[fb.sel].dir {
		return filepath.Join(fb.dir, fb.rows[fb.sel].name)
	}
	return ""
}

// choosePressed handles Choose (and Enter in the name field): a typed folder name opens
// the folder; otherwise the path goes into the panel's field.
func (fb *fileBrowser) choosePressed(gtx layout.Context) {
	name := cleanPath(fb.name.Text())
	if e, ok := fb.entry(name); ok && e.dir {
		fb.setName("")
		fb.navigate(filepath.Join(fb.dir, name), "", false)
		return
	}
	if name == "" && fb.sel >= 0 && fb.sel < len(fb.rows) && fb.rows[fb.sel].dir {
		fb.enter(fb.sel)
		return
	}
	p := fb.chosen()
	if p == "" {
		if !fb.loading {
			fb.problem = "select a file, or type a file name"
		}
		return
	}
	fb.finish(gtx, p)
}

// finish puts p into the target field and closes the browser.
func (fb *fileBrowser) finish(gtx layout.Context, p string) {
	fb.close(gtx)
	s := displayPath(fb.wd, p)
	if fb.target.Focused() {
		fb.fill, fb.fillText = fb.target, s // it takes the text once the focus has left
	} else {
		fb.target.SetText(s)
	}
	use := "Load reads it"
	if fb.kind == browseModels {
		use = "Load reads it, Save writes it"
	}
	fb.u.lab.Infof("chose %s — %s", s, use)
}

// displayPath returns p relative to the working directory wd when it lies inside it.
func displayPath(wd, p string) string {
	if wd == "" {
		return p
	}
	r, err := filepath.Rel(wd, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return p
	}
	return r
}

// errText phrases a listing error.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

// editing reports whether a text field has the keyboard focus.
func (fb *fileBrowser) editing() bool {
	return fb.folder.Focused() || fb.name.Focused() || fb.u.panel.editing()
}

// keys handles the browser's keys while it is open and reports whether it is open, so
// that the window's shortcuts stay off. With a text field focused, keys go to the field.
func (fb *fileBrowser) keys(gtx layout.Context) bool {
	if !fb.shown {
		return false
	}
	if fb.editing() {
		return true
	}
	for fb.shown {
		ev, ok := gtx.Event(
			key.Filter{Name: key.NameEscape}, key.Filter{Name: key.NameReturn}, key.Filter{Name: key.NameEnter},
			key.Filter{Name: key.NameUpArrow}, key.Filter{Name: key.NameDownArrow},
			key.Filter{Name: key.NamePageUp}, key.Filter{Name: key.NamePageDown},
			key.Filter{Name: key.NameHome}, key.Filter{Name: key.NameEnd},
			key.Filter{Name: key.NameDeleteBackward},
		)
		if !ok {
			break
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		page := max(1, fb.listR.Dy()/max(1, fb.rowH)-1)
		switch e.Name {
		case key.NameEscape:
			fb.close(gtx)
		case key.NameReturn, key.NameEnter:
			if fb.sel >= 0 && fb.sel < len(fb.rows) && fb.rows[fb.sel].dir {
				fb.enter(fb.sel)
			} else {
				fb.choosePressed(gtx)
			}
		case key.NameUpArrow:
			fb.move(-1)
		case key.NameDownArrow:
			fb.move(1)
		case key.NamePageUp:
			fb.move(-page)
		case key.NamePageDown:
			fb.move(page)
		case key.NameHome:
			fb.selectRow(0)
		case key.NameEnd:
			fb.selectRow(len(fb.rows) - 1)
		case key.NameDeleteBackward:
			fb.parent()
		}
	}
	return true
}

// rowAt returns the row at height y of the list, or −1.
func (fb *fileBrowser) rowAt(y int) int {
	if y < 0 || fb.rowH <= 0 {
		return -1
	}
	if i := (y + fb.scroll) / fb.rowH; i < len(fb.rows) {
		return i
	}
	return -1
}

// listEvents handles the list's pointer events of the last frame: the wheel scrolls, a
// press opens a folder or selects a file, a second press on the same file chooses it.
func (fb *fileBrowser) listEvents(gtx layout.Context) {
	for fb.shown {
		ev, ok := gtx.Event(pointer.Filter{
			Target:  &fb.listT,
			Kinds:   pointer.Press | pointer.Move | pointer.Enter | pointer.Leave | pointer.Scroll,
			ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20},
		})
		if !ok {
			break
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		y := int(e.Position.Y)
		switch e.Kind {
		case pointer.Scroll:
			fb.scroll += int(e.Scroll.Y * 4 * gtx.Metric.PxPerDp)
			fb.reveal = false
			fb.hoverY = y
		case pointer.Move, pointer.Enter:
			fb.hoverY = y
		case pointer.Leave:
			fb.hoverY = -1
		case pointer.Press:
			gtx.Execute(key.FocusCmd{Tag: nil}) // leave the text fields
			if !e.Buttons.Contain(pointer.ButtonPrimary) {
				break
			}
			i := fb.rowAt(y)
			if i < 0 {
				fb.sel, fb.clickRow = -1, -1
				break
			}
			if fb.rows[i].dir {
				fb.enter(i)
				break
			}
			double := i == fb.clickRow && e.Time >= fb.clickAt && e.Time-fb.clickAt <= doubleClick
			fb.clickRow, fb.clickAt = i, e.Time
			fb.selectRow(i)
			if double {
				fb.activate(gtx, i)
			}
		}
	}
}

// fbCols are the list's columns: where names start and how wide they may be, and the right
// edges of the size and date columns (0 when the list is too narrow for them).
type fbCols struct {
	name, nameW int
	size, mod   int
}

// columns lays out the columns of a list w pixels wide.
func (fb *fileBrowser) columns(gtx layout.Context, w int) fbCols {
	mf := fb.face(gtx, widgets.Mono, fb.u.th.Small)
	pad := gtx.Dp(14)
	c := fbCols{name: gtx.Dp(34)}
	right := w - pad
	if w >= gtx.Dp(430) {
		c.mod = right
		right -= mf.Measure("2006-01-02 15:04") + gtx.Dp(18)
	}
	if w >= gtx.Dp(260) {
		c.size = right
		right -= mf.Measure("999.9 MB") + gtx.Dp(12)
	}
	c.nameW = right - c.name
	return c
}

func (fb *fileBrowser) face(gtx layout.Context, s widgets.Style, size float64) *widgets.Face {
	return fb.u.th.Fonts.Face(s, size*float64(gtx.Metric.PxPerDp))
}

// sizeText formats a file size in bytes.
func sizeText(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
}

// status returns the line under the list: a problem, progress, or what Choose would do
// (then path is the path it fills in, to be shown after msg with its end visible).
func (fb *fileBrowser) status() (msg, path string, c color.NRGBA) {
	th := fb.u.th
	switch {
	case fb.problem != "":
		return fb.problem, "", th.Error
	case fb.loading:
		return "reading the folder …", "", th.Muted
	case fb.listing.err != nil:
		return errText(fb.listing.err), "", th.Error
	case fb.listing.capped:
		return fmt.Sprintf("only the first %d entries of this folder are listed (type a name to reach others)", maxListing), "", th.Warn
	}
	if p := fb.chosen(); p != "" {
		return "Choose fills in ", displayPath(fb.wd, p), th.Muted
	}
	return "click a folder to open it · double-click a file or select it and Choose", "", th.Muted
}

// counts summarises the rows: folders, files and how many the filter hides.
func (fb *fileBrowser) counts() string {
	nd, nf := 0, 0
	for _, r := range fb.rows {
		switch {
		case r.up:
		case r.dir:
			nd++
		default:
			nf++
		}
	}
	s := plural(nd, "folder") + " · " + plural(nf, "file")
	if fb.hidden > 0 {
		s += fmt.Sprintf(" · %d hidden", fb.hidden)
	}
	return s
}

// plural returns "1 folder", "2 folders".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// layout draws the open browser over the plane, whose area (area pixels at the window's
// origin) it dims and takes the pointer from; closed, it only hands a chosen path to a
// field that was being edited.
func (fb *fileBrowser) layout(gtx layout.Context, area image.Point) {
	if fb.fill != nil && !fb.fill.Focused() {
		fb.fill.SetText(fb.fillText)
		fb.fill = nil
		gtx.Execute(op.InvalidateCmd{})
	}
	if !fb.shown {
		return
	}
	if fb.unfocus {
		gtx.Execute(key.FocusCmd{Tag: nil})
		fb.unfocus = false
	}
	th := fb.u.th
	defer clip.Rect{Max: area}.Push(gtx.Ops).Pop()

	// The scrim: dims the plane and keeps the pointer from it.
	event.Op(gtx.Ops, &fb.scrimT)
	fillRect(gtx, image.Rectangle{Max: area}, widgets.WithAlpha(th.Text, 72))
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: &fb.scrimT, Kinds: pointer.Press | pointer.Scroll,
			ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}})
		if !ok {
			break
		}
		if e, ok := ev.(pointer.Event); ok && e.Kind == pointer.Press {
			gtx.Execute(key.FocusCmd{Tag: nil})
		}
	}
	fb.listEvents(gtx)
	if !fb.shown {
		return
	}

	// The card, centred on the plane, with room for its shadow around it.
	m, pad := gtx.Dp(16), gtx.Dp(18)
	cw := max(min(gtx.Dp(640), area.X-gtx.Dp(48)), gtx.Dp(240))
	ch := max(min(gtx.Dp(560), area.Y-gtx.Dp(48)), gtx.Dp(280))
	org := image.Pt((area.X-cw)/2-m, max(0, (area.Y-ch)/2)-m)
	f := widgets.NewForm(gtx, th, &fb.chrome, org, cw+2*m, ch+2*m, color.NRGBA{}, m+pad)
	f.Y = m
	f.Section(fb.kind.title(), strings.Join(fb.kind.exts(), "  "), th.Muted)

	// Folder: typed or shown, its end visible when it is long.
	lw := f.Dp(52)
	upW := buttonWidth(f, "↑ Up")
	y0 := f.Y
	ln := f.Line(26)
	ln.LabelW("Folder", lw, th.Muted)
	fw := ln.Rest() - upW - f.Dp(6)
	ln.Field(&fb.folder, fw, "folder")
	if !fb.folder.Focused() {
		fb.folderText(f, image.Rect(f.X+lw, y0, f.X+lw+fw, y0+f.Dp(26)))
	}
	if fb.folder.Submitted() {
		if p := cleanPath(fb.folder.Text()); p != "" {
			if !filepath.IsAbs(p) && fb.dir != "" {
				p = filepath.Join(fb.dir, p)
			}
			fb.navigate(p, "", false)
		}
	}
	if ln.Button(&fb.up, widgets.Secondary, "↑ Up", upW) {
		fb.parent()
	}

	// Column titles, then the list's frame; the list itself is its own surface.
	inset := max(2, f.Dp(2))
	listW := f.W - 2*inset
	cols := fb.columns(gtx, listW)
	hf := f.Face(widgets.Regular, th.Small)
	f.Gap(4)
	hx, hy := f.X+inset, f.Y+hf.Ascent
	f.L.Text(hf, hx+cols.name, hy, "Name", th.Muted, image.Rectangle{})
	if cols.size > 0 {
		f.L.Text(hf, hx+cols.size-hf.Measure("Size"), hy, "Size", th.Muted, image.Rectangle{})
	}
	if cols.mod > 0 {
		f.L.Text(hf, hx+cols.mod-hf.Measure("Modified"), hy, "Modified", th.Muted, image.Rectangle{})
	}
	f.Y += hf.Height + f.Dp(4)
	sf := f.Face(widgets.Regular, th.Small)
	bottomH := f.Dp(8) + sf.Height + f.Dp(2) + f.Dp(6) + f.Dp(24+5) + f.Dp(26) + pad
	fb.rowH = gtx.Dp(24)
	lr := image.Rect(f.X, f.Y, f.X+f.W, max(f.Y+fb.rowH+2*inset, m+ch-bottomH))
	f.L.Border(lr, f.Dp(5), th.Border)

	// Under the list: the status line, the filter and the name to choose.
	f.Y = lr.Max.Y + f.Dp(8)
	msg, path, c := fb.status()
	if path != "" {
		path = sf.FitStart(path, f.W-sf.Measure(msg))
		f.L.Text(sf, f.X+sf.Measure(msg), f.Y+sf.Ascent, path, th.Text, image.Rectangle{})
	}
	f.Text(widgets.Regular, th.Small, c, msg)
	f.Gap(6)
	fb.allR = image.Rect(f.X, f.Y, f.X+f.W, f.Y+f.Dp(24)).Add(org)
	ln = f.Line(24)
	if ln.Check(&fb.showAll, "show all files") {
		keep := ""
		if fb.sel >= 0 && fb.sel < len(fb.rows) {
			keep = fb.rows[fb.sel].name
		}
		fb.filter()
		fb.sel, fb.reveal = fb.find(keep), true
	}
	if n := fb.counts(); !fb.loading && fb.listing.err == nil {
		ln.To(f.W - sf.Measure(n))
		ln.Label(n, th.Muted)
	}
	ln = f.Line(26)
	ln.LabelW("Name", lw, th.Muted)
	cancelW, chooseW := buttonWidth(f, "Cancel"), max(buttonWidth(f, "Choose"), f.Dp(84))
	ln.Field(&fb.name, ln.Rest()-cancelW-chooseW-f.Dp(12), "file name (type a new one to save)")
	if fb.nameTo != nil && !fb.name.Focused() {
		fb.name.SetText(*fb.nameTo)
		fb.nameTo = nil
		f.Changed = true
	}
	submitted := fb.name.Submitted()
	if ln.Button(&fb.cancel, widgets.Secondary, "Cancel", cancelW) {
		fb.close(gtx)
	}
	if ln.Button(&fb.choose, widgets.Primary, "Choose", chooseW) || submitted {
		fb.choosePressed(gtx)
	}
	if !fb.shown {
		return
	}
	card := image.Rect(m, m, m+cw, m+ch)
	f.L.Underlay(func(l *widgets.List) {
		// A soft shadow: translucent layers growing out from under the card.
		for i := 6; i >= 1; i-- {
			o := m * i / 7
			l.Fill(card.Inset(-o).Add(image.Pt(0, f.Dp(4))), f.Dp(8)+o, widgets.WithAlpha(th.Text, 7))
		}
		l.Box(card, f.Dp(8), th.Card, th.Border)
	})
	fb.chrome.PaintAt(gtx, org)

	// The list: visible rows on their own surface, the hovered row tinted on top.
	lsz := image.Pt(listW, lr.Dy()-2*inset)
	lorg := org.Add(lr.Min).Add(image.Pt(inset, inset))
	fb.listR = image.Rectangle{Min: lorg, Max: lorg.Add(lsz)}
	fb.clampScroll(lsz.Y)
	fb.drawList(gtx, lsz, cols)
	fb.list.PaintAt(gtx, lorg)
	st := op.Offset(lorg).Push(gtx.Ops)
	ar := clip.Rect{Max: lsz}.Push(gtx.Ops)
	event.Op(gtx.Ops, &fb.listT)
	if i := fb.rowAt(fb.hoverY); i >= 0 {
		pointer.CursorPointer.Add(gtx.Ops)
		if i != fb.sel {
			y := i*fb.rowH - fb.scroll
			fillRect(gtx, image.Rect(gtx.Dp(3), y+1, lsz.X-gtx.Dp(3), y+fb.rowH-1), widgets.WithAlpha(th.Accent, 22))
		}
	}
	ar.Pop()
	st.Pop()
	if f.Changed {
		gtx.Execute(op.InvalidateCmd{})
	}
}

// folderText draws the folder over the field's own text, with a leading ellipsis when it
// is too long, so that the end of the path shows while the field is not being edited.
func (fb *fileBrowser) folderText(f *widgets.Form, r image.Rectangle) {
	fc := f.Face(widgets.Mono, f.T.Small+0.5)
	pad := f.Dp(6)
	s := fb.folder.Text()
	if fc.Measure(s) <= r.Dx()-2*pad {
		return
	}
	inner := image.Rect(r.Min.X+pad-1, r.Min.Y+1, r.Max.X-pad+1, r.Max.Y-1)
	f.L.Fill(inner, 0, f.T.Card)
	base := r.Min.Y + (r.Dy()+fc.Ascent-fc.Descent)/2
	f.L.Text(fc, r.Min.X+pad, base, fc.FitStart(s, r.Dx()-2*pad), f.T.Text, inner)
}

// clampScroll keeps the list's scroll in range and, when asked, the selection in view.
func (fb *fileBrowser) clampScroll(h int) {
	if fb.reveal && fb.sel >= 0 {
		top, bot := fb.sel*fb.rowH, (fb.sel+1)*fb.rowH
		if top < fb.scroll {
			fb.scroll = top
		} else if bot > fb.scroll+h {
			fb.scroll = bot - h
		}
	}
	fb.reveal = false
	fb.scroll = max(0, min(fb.scroll, len(fb.rows)*fb.rowH-h))
}

// drawList records the visible rows onto the list's surface.
func (fb *fileBrowser) drawList(gtx layout.Context, sz image.Point, cols fbCols) {
	th := fb.u.th
	l := fb.list.Begin(sz.X, sz.Y, th.Card)
	nf := fb.face(gtx, widgets.Regular, th.Small+1)
	mf := fb.face(gtx, widgets.Mono, th.Small)
	rh := fb.rowH
	folderC := widgets.Mix(th.Accent, th.Card, 0.35)
	fileC := widgets.Mix(th.Muted, th.Card, 0.25)
	for i := fb.scroll / rh; i < len(fb.rows) && i*rh-fb.scroll < sz.Y; i++ {
		r := fb.rows[i]
		y := i*rh - fb.scroll
		if i == fb.sel {
			l.Fill(image.Rect(gtx.Dp(3), y+1, sz.X-gtx.Dp(3), y+rh-1), gtx.Dp(4), th.AccentL)
		}
		// Icon: a folder (tab and body) or a page.
		ix, iy := gtx.Dp(12), y+(rh-gtx.Dp(12))/2
		if r.dir {
			c := folderC
			if r.up {
				c = widgets.Mix(th.Muted, th.Card, 0.45)
			}
			l.Fill(image.Rect(ix, iy, ix+gtx.Dp(7), iy+gtx.Dp(4)), gtx.Dp(1.5), c)
			l.Fill(image.Rect(ix, iy+gtx.Dp(2), ix+gtx.Dp(15), iy+gtx.Dp(12)), gtx.Dp(2), c)
		} else {
			pg := image.Rect(ix+gtx.Dp(2), iy-gtx.Dp(1), ix+gtx.Dp(12), iy+gtx.Dp(12))
			l.Box(pg, gtx.Dp(1.5), th.Card, fileC)
			for k := 0; k < 3; k++ {
				ly := pg.Min.Y + gtx.Dp(4) + k*gtx.Dp(2.5)
				l.Fill(image.Rect(pg.Min.X+gtx.Dp(2.5), ly, pg.Max.X-gtx.Dp(2.5), ly+1), 0, fileC)
			}
		}
		base := y + (rh+nf.Ascent-nf.Descent)/2
		name := nf.Fit(r.name, cols.nameW)
		l.Text(nf, cols.name, base, name, th.Text, image.Rectangle{})
		if r.up {
			l.Text(nf, cols.name+nf.Measure(name)+gtx.Dp(10), base, "parent folder", th.Muted, image.Rectangle{})
			continue
		}
		if cols.size > 0 && !r.dir {
			s := sizeText(r.size)
			l.Text(mf, cols.size-mf.Measure(s), base, s, th.Muted, image.Rectangle{})
		}
		if cols.mod > 0 && !r.mod.IsZero() {
			s := r.mod.Format("2006-01-02 15:04")
			l.Text(mf, cols.mod-mf.Measure(s), base, s, th.Muted, image.Rectangle{})
		}
	}
	// A note when there is nothing to pick.
	files := len(fb.rows)
	if files > 0 && fb.rows[0].up {
		files--
	}
	note := ""
	switch {
	case fb.loading && fb.dir == "":
		note = "reading …"
	case fb.listing.err != nil || fb.loading:
	case files == 0 && fb.hidden > 0:
		note = fmt.Sprintf("nothing to choose here · %d hidden (show all files)", fb.hidden)
	case files == 0:
		note = "this folder is empty"
	}
	if note != "" {
		y := len(fb.rows)*rh - fb.scroll + rh
		l.Text(nf, (sz.X-nf.Measure(note))/2, y+(rh+nf.Ascent-nf.Descent)/2, note, th.Muted, image.Rectangle{})
	}
	// Scroll bar.
	if total := len(fb.rows) * rh; total > sz.Y {
		bw := gtx.Dp(4)
		h := max(gtx.Dp(24), sz.Y*sz.Y/total)
		top := (sz.Y - h) * fb.scroll / max(1, total-sz.Y)
		l.Fill(image.Rect(sz.X-bw-gtx.Dp(3), top+gtx.Dp(2), sz.X-gtx.Dp(3), top+h-gtx.Dp(2)), bw/2, widgets.WithAlpha(th.Muted, 90))
	}
}
