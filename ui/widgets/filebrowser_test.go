package widgets

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/gpu/headless"
	"gioui.org/io/event"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
)

// fbTree makes a folder with subfolders, matching and other files, and dot entries:
//
//	alpha/inner.csv  Beta/  .hidden/  a.pt  b.csv (1234 bytes)  zeta.CSV  model.mfl  notes.txt  .secret.csv
func fbTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"alpha", "Beta", ".hidden"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]int{"a.pt": 10, "b.csv": 1234, "zeta.CSV": 5, "model.mfl": 7, "notes.txt": 3,
		".secret.csv": 1, "alpha/inner.csv": 42}
	for name, n := range files {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// What the tests browse for: a data set, or a checkpoint or session.
var (
	browseData   = Browse{Title: "Choose a data file", Exts: []string{".csv", ".pt"}, Use: "Load reads it"}
	browseModels = Browse{Title: "Choose a checkpoint or session", Exts: []string{".mfl", ".pt", ".pth", ".mflsession"}, Use: "Load reads it, Save writes it"}
)

// fbRig lays out two path fields and a file browser over a 1200×800 area each frame,
// through an input router fed with synthesized events.
type fbRig struct {
	t            *testing.T
	th           *Theme
	fb           *FileBrowser
	data, models Field
	fields       Surface
	router       input.Router
	ops          op.Ops
	size         image.Point
	notes        []string
	jobs         chan func() // background results (with a background Go)
}

func newRig(t *testing.T) *fbRig {
	r := &fbRig{t: t, th: NewTheme(), size: image.Pt(1200, 800)}
	r.fb = &FileBrowser{Theme: r.th, Notify: func(s string) { r.notes = append(r.notes, s) }}
	r.frame()
	return r
}

// background makes the browser read folders on other goroutines.
func (r *fbRig) background() {
	r.jobs = make(chan func(), 16)
	r.fb.Go = func(work func() func()) { go func() { r.jobs <- work() }() }
}

func (r *fbRig) frame() {
	for r.jobs != nil && len(r.jobs) > 0 {
		(<-r.jobs)()
	}
	r.ops.Reset()
	gtx := layout.Context{Ops: &r.ops, Now: time.Now(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(r.size), Source: r.router.Source()}
	r.layout(gtx)
	r.router.Frame(&r.ops)
}

// layout draws the path fields in the top-left corner and the browser over everything.
func (r *fbRig) layout(gtx layout.Context) {
	f := NewForm(gtx, r.th, &r.fields, image.Point{}, 300, 60, r.th.Panel, 4)
	ln := f.Line(24)
	ln.Field(&r.data, 290, "data")
	ln = f.Line(24)
	ln.Field(&r.models, 290, "models")
	r.fields.Paint(gtx)
	editing := r.data.Focused() || r.models.Focused()
	r.fb.Keys(gtx, editing)
	r.fb.Layout(gtx, r.size)
}

func (r *fbRig) pointer(kind pointer.Kind, p f32.Point, buttons pointer.Buttons) {
	r.router.Queue(pointer.Event{Kind: kind, Source: pointer.Mouse, Position: p, Buttons: buttons})
}

func (r *fbRig) queue(evs ...event.Event) { r.router.Queue(evs...) }

// note returns the last message the browser sent.
func (r *fbRig) note() string {
	if len(r.notes) == 0 {
		return ""
	}
	return r.notes[len(r.notes)-1]
}

// openBrowser opens the browser for target holding path.
func openBrowser(h *fbRig, kind Browse, target *Field, path string) *FileBrowser {
	target.SetText(path)
	h.fb.Open(kind, target)
	h.frame()
	h.frame() // the name field takes its text
	return h.fb
}

func rowNames(fb *FileBrowser) []string {
	var s []string
	for _, r := range fb.rows {
		s = append(s, r.name)
	}
	return s
}

// clickRow presses and releases the primary button on row i of the list at time at.
func clickRow(h *fbRig, i int, at time.Duration) {
	fb := h.fb
	p := f32.Pt(float32(fb.listR.Min.X+40), float32(fb.listR.Min.Y+i*fb.rowH-fb.scroll+fb.rowH/2))
	h.queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: p, Buttons: pointer.ButtonPrimary, Time: at},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: p, Time: at + 30*time.Millisecond},
	)
	h.frame()
	h.frame()
}

func pressKey(h *fbRig, names ...key.Name) {
	for _, n := range names {
		h.queue(key.Event{Name: n, State: key.Press})
		h.frame()
	}
	h.frame()
}

func TestFileBrowserListsAndFilters(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	fb := openBrowser(h, browseData, &h.data, filepath.Join(dir, "b.csv"))
	if !fb.Shown() || fb.dir != dir {
		t.Fatalf("browser shown %v in %q, want %q", fb.Shown(), fb.dir, dir)
	}
	want := []string{"..", "alpha", "Beta", "a.pt", "b.csv", "zeta.CSV"}
	if got := rowNames(fb); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if fb.hidden != 4 {
		t.Fatalf("%d entries hidden, want 4 (.hidden, .secret.csv, model.mfl, notes.txt)", fb.hidden)
	}
	if fb.sel != 4 || fb.name.Text() != "b.csv" {
		t.Fatalf("selection %d and name %q, want the current file b.csv (row 4)", fb.sel, fb.name.Text())
	}
	if r := fb.rows[4]; r.size != 1234 || r.mod.IsZero() || r.dir {
		t.Fatalf("b.csv row %+v, want a 1234-byte file with a time", r)
	}
	if got := sizeText(1234); got != "1.2 kB" {
		t.Fatalf("sizeText(1234) = %q", got)
	}
	if c := fb.counts(); c != "2 folders · 3 files · 4 hidden" {
		t.Fatalf("counts %q", c)
	}

	// "show all files" lists everything, keeping the selection.
	at := f32.Pt(float32(fb.allR.Min.X+6), float32(fb.allR.Min.Y+fb.allR.Dy()/2))
	h.pointer(pointer.Press, at, pointer.ButtonPrimary)
	h.pointer(pointer.Release, at, 0)
	h.frame()
	want = []string{"..", ".hidden", "alpha", "Beta", ".secret.csv", "a.pt", "b.csv", "model.mfl", "notes.txt", "zeta.CSV"}
	if got := rowNames(fb); !fb.showAll.Value || !slices.Equal(got, want) {
		t.Fatalf("with show all files (%v): rows %q, want %q", fb.showAll.Value, got, want)
	}
	if fb.sel < 0 || fb.rows[fb.sel].name != "b.csv" {
		t.Fatalf("toggling the filter lost the selection (row %d)", fb.sel)
	}

	// The Models browser lists checkpoints, not data.
	fb = openBrowser(h, browseModels, &h.models, dir)
	want = []string{"..", "alpha", "Beta", "a.pt", "model.mfl"}
	if got := rowNames(fb); !slices.Equal(got, want) || fb.showAll.Value {
		t.Fatalf("models rows %q (show all %v), want %q", got, fb.showAll.Value, want)
	}
	if fb.sel != -1 || fb.name.Text() != "" {
		t.Fatalf("opened on a folder: selection %d, name %q; want none", fb.sel, fb.name.Text())
	}
}

func TestFileBrowserEntersFoldersAndChooses(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	path := &h.data
	fb := openBrowser(h, browseData, path, dir)
	clickRow(h, 1, time.Second) // alpha
	if fb.dir != filepath.Join(dir, "alpha") {
		t.Fatalf("clicking alpha shows %q", fb.dir)
	}
	if got := rowNames(fb); !slices.Equal(got, []string{"..", "inner.csv"}) {
		t.Fatalf("alpha rows %q", got)
	}
	if fb.folder.Text() != fb.dir {
		t.Fatalf("folder field %q, want %q", fb.folder.Text(), fb.dir)
	}
	clickRow(h, 1, 2*time.Second) // inner.csv: selected
	if !fb.Shown() || fb.sel != 1 || fb.name.Text() != "inner.csv" {
		t.Fatalf("clicking a file: shown %v, selection %d, name %q", fb.Shown(), fb.sel, fb.name.Text())
	}
	fb.choose.Click()
	h.frame()
	h.frame()
	want := filepath.Join(dir, "alpha", "inner.csv")
	if fb.Shown() || path.Text() != want {
		t.Fatalf("after Choose: shown %v, path field %q, want %q", fb.Shown(), path.Text(), want)
	}
	if n := h.note(); !strings.Contains(n, "inner.csv") || !strings.Contains(n, "Load reads it") {
		t.Fatalf("note after Choose: %q", n)
	}

	// Reopened, the browser starts in the chosen file's folder; ".." goes up with the
	// folder left selected; a double-click on a file chooses it.
	fb = openBrowser(h, browseData, path, path.Text())
	if fb.dir != filepath.Join(dir, "alpha") || fb.sel != 1 {
		t.Fatalf("reopened in %q with row %d selected", fb.dir, fb.sel)
	}
	clickRow(h, 0, 3*time.Second)
	if fb.dir != dir || fb.sel < 0 || fb.rows[fb.sel].name != "alpha" {
		t.Fatalf("'..' shows %q with row %d selected", fb.dir, fb.sel)
	}
	clickRow(h, 3, 4*time.Second) // a.pt
	clickRow(h, 3, 4*time.Second+200*time.Millisecond)
	if want := filepath.Join(dir, "a.pt"); fb.Shown() || path.Text() != want {
		t.Fatalf("after a double-click: shown %v, path %q, want %q", fb.Shown(), path.Text(), want)
	}
	// Two slow clicks only select.
	fb = openBrowser(h, browseData, path, dir)
	clickRow(h, 4, 5*time.Second)
	clickRow(h, 4, 7*time.Second)
	if !fb.Shown() || fb.rows[fb.sel].name != "b.csv" {
		t.Fatalf("two slow clicks: shown %v, selection %d", fb.Shown(), fb.sel)
	}
	// A path field being edited takes the chosen path once it has lost the focus.
	clickRow(h, 5, 8*time.Second) // zeta.CSV, double-clicked with the path field focused
	h.router.Source().Execute(key.FocusCmd{Tag: path})
	h.frame()
	if !path.Focused() {
		t.Fatal("the path field did not take the focus")
	}
	at := f32.Pt(float32(fb.listR.Min.X+40), float32(fb.listR.Min.Y+5*fb.rowH-fb.scroll+fb.rowH/2))
	h.queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: at, Buttons: pointer.ButtonPrimary, Time: 8*time.Second + 100*time.Millisecond})
	h.frame()
	if fb.Shown() || fb.fill != path {
		t.Fatalf("double-click with the field focused: shown %v, waiting fill %p", fb.Shown(), fb.fill)
	}
	h.frame()
	if want := filepath.Join(dir, "zeta.CSV"); fb.Shown() || path.Focused() || path.Text() != want {
		t.Fatalf("choosing while the field was focused: shown %v, focused %v, path %q, want %q", fb.Shown(), path.Focused(), path.Text(), want)
	}
}

func TestDisplayPath(t *testing.T) {
	for _, c := range [][3]string{
		{"/w/lab", "/w/lab/data/x.csv", "data/x.csv"},
		{"/w/lab", "/w/labs/x.csv", "/w/labs/x.csv"},
		{"/w/lab", "/w/x.csv", "/w/x.csv"},
		{"", "/w/x.csv", "/w/x.csv"},
	} {
		if got := displayPath(c[0], c[1]); got != c[2] {
			t.Errorf("displayPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestFileBrowserTypedNameForSaving(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	path := &h.models
	fb := openBrowser(h, browseModels, path, filepath.Join(dir, "Beta", "new.mfl"))
	if fb.dir != filepath.Join(dir, "Beta") || fb.name.Text() != "new.mfl" {
		t.Fatalf("opened on a file to be written: folder %q, name %q", fb.dir, fb.name.Text())
	}
	// Type another name and press Enter in the name field.
	h.router.Source().Execute(key.FocusCmd{Tag: &fb.name})
	h.frame()
	if !fb.name.Focused() {
		t.Fatal("the name field did not take the focus")
	}
	h.queue(key.EditEvent{Range: key.Range{Start: 0, End: 7}, Text: "run2.mflsession"})
	h.frame()
	h.queue(key.Event{Name: key.NameReturn, State: key.Press})
	h.frame()
	h.frame()
	if want := filepath.Join(dir, "Beta", "run2.mflsession"); fb.Shown() || path.Text() != want {
		t.Fatalf("after Enter in the name field: shown %v, path %q, want %q", fb.Shown(), path.Text(), want)
	}
	// A typed folder name opens the folder.
	fb = openBrowser(h, browseModels, path, dir)
	fb.setName("alpha")
	h.frame()
	fb.choose.Click()
	h.frame()
	h.frame()
	if !fb.Shown() || fb.dir != filepath.Join(dir, "alpha") || fb.name.Text() != "" {
		t.Fatalf("Choose with a folder name: shown %v in %q, name %q", fb.Shown(), fb.dir, fb.name.Text())
	}
	// Choose with nothing selected or typed explains itself.
	fb.choose.Click()
	h.frame()
	if !fb.Shown() || !strings.Contains(fb.problem, "select a file") {
		t.Fatalf("Choose with nothing: shown %v, problem %q", fb.Shown(), fb.problem)
	}
}

func TestFileBrowserEscapeAndCancelClose(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	path := &h.data
	fb := openBrowser(h, browseData, path, dir)
	pressKey(h, key.NameEscape)
	if fb.Shown() || path.Text() != dir {
		t.Fatalf("after Escape: shown %v, path %q (want unchanged %q)", fb.Shown(), path.Text(), dir)
	}
	fb = openBrowser(h, browseData, path, dir)
	fb.cancel.Click()
	h.frame()
	if fb.Shown() || path.Text() != dir {
		t.Fatalf("after Cancel: shown %v, path %q", fb.Shown(), path.Text())
	}
	// A click beside the card leaves it open.
	fb = openBrowser(h, browseData, path, dir)
	h.pointer(pointer.Press, f32.Pt(20, 300), pointer.ButtonPrimary)
	h.pointer(pointer.Release, f32.Pt(20, 300), 0)
	h.frame()
	if !fb.Shown() {
		t.Fatal("a click beside the card closed it")
	}
}

func TestFileBrowserUnreadableFolder(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	fb := openBrowser(h, browseData, &h.data, dir)
	locked := filepath.Join(dir, "Beta")
	if os.Geteuid() == 0 {
		// Root reads any folder: make Beta unreadable by removing it after it was listed.
		if err := os.Remove(locked); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
	}
	clickRow(h, 2, time.Second) // Beta
	if !fb.Shown() || fb.dir != locked || fb.listing.err == nil {
		t.Fatalf("unreadable folder: shown %v in %q, error %v", fb.Shown(), fb.dir, fb.listing.err)
	}
	if msg, _, c := fb.status(); !strings.Contains(msg, "cannot read "+locked) || c != h.th.Error {
		t.Fatalf("status line %q, want an error naming %s", msg, locked)
	}
	if got := rowNames(fb); !slices.Equal(got, []string{".."}) {
		t.Fatalf("rows of an unreadable folder %q, want just ..", got)
	}
	clickRow(h, 0, 2*time.Second)
	if fb.dir != dir || fb.listing.err != nil {
		t.Fatalf("'..' from the unreadable folder: %q, %v", fb.dir, fb.listing.err)
	}
	// A typed folder that does not exist: an error too.
	h.router.Source().Execute(key.FocusCmd{Tag: &fb.folder})
	h.frame()
	n := len([]rune(fb.folder.Text()))
	h.queue(key.EditEvent{Range: key.Range{Start: n, End: n}, Text: "/missing"})
	h.frame()
	h.queue(key.Event{Name: key.NameReturn, State: key.Press})
	h.frame()
	h.frame()
	if msg, _, _ := fb.status(); fb.dir != filepath.Join(dir, "missing") || !strings.Contains(msg, "cannot read") {
		t.Fatalf("typed missing folder: in %q, status %q", fb.dir, msg)
	}
}

func TestFileBrowserKeyboard(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	path := &h.data
	fb := openBrowser(h, browseData, path, dir)
	pressKey(h, key.NameDownArrow, key.NameDownArrow)
	if fb.sel != 1 {
		t.Fatalf("two Downs select row %d, want 1", fb.sel)
	}
	pressKey(h, key.NameReturn) // enter alpha
	if fb.dir != filepath.Join(dir, "alpha") {
		t.Fatalf("Enter on alpha shows %q", fb.dir)
	}
	pressKey(h, key.NameDeleteBackward) // back up, alpha selected
	if fb.dir != dir || fb.sel != 1 {
		t.Fatalf("Backspace shows %q with row %d selected", fb.dir, fb.sel)
	}
	pressKey(h, key.NameEnd, key.NameUpArrow)
	if fb.rows[fb.sel].name != "b.csv" || fb.name.Text() != "b.csv" {
		t.Fatalf("End, Up select %q (name field %q), want b.csv", fb.rows[fb.sel].name, fb.name.Text())
	}
	pressKey(h, key.NameHome, key.NameUpArrow)
	if fb.sel != 0 {
		t.Fatalf("Up at the top moved to row %d", fb.sel)
	}
	// Backspace in a text field edits the field and stays in the folder.
	h.router.Source().Execute(key.FocusCmd{Tag: &fb.name})
	h.frame()
	pressKey(h, key.NameDeleteBackward)
	if fb.dir != dir || fb.name.Text() != "b.cs" || !fb.Shown() {
		t.Fatalf("Backspace in the name field: folder %q, name %q", fb.dir, fb.name.Text())
	}
	pressKey(h, key.NameEscape) // leaves the field (restoring it), the browser stays
	if !fb.Shown() || fb.name.Focused() || fb.name.Text() != "b.csv" {
		t.Fatalf("Escape in the field: shown %v, focused %v, name %q", fb.Shown(), fb.name.Focused(), fb.name.Text())
	}
	pressKey(h, key.NameEnd, key.NameUpArrow, key.NameUpArrow, key.NameReturn) // a.pt
	if want := filepath.Join(dir, "a.pt"); fb.Shown() || path.Text() != want {
		t.Fatalf("Enter on a.pt: shown %v, path %q, want %q", fb.Shown(), path.Text(), want)
	}
}

func TestFileBrowserWheelScrollsLongFolder(t *testing.T) {
	dir := t.TempDir()
	for i := range 60 {
		name := filepath.Join(dir, fmt.Sprintf("f%03d.csv", i))
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newRig(t)
	fb := openBrowser(h, browseData, &h.data, dir)
	if len(fb.rows) != 61 {
		t.Fatalf("%d rows, want 61", len(fb.rows))
	}
	at := f32.Pt(float32(fb.listR.Min.X+50), float32(fb.listR.Min.Y+50))
	h.queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: at, Scroll: f32.Pt(0, 30)})
	h.frame()
	if fb.scroll != 120 {
		t.Fatalf("a 30 px wheel step scrolled the list by %d px, want 120", fb.scroll)
	}
	h.queue(pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: at, Scroll: f32.Pt(0, 1e5)})
	h.frame()
	if maxS := 61*fb.rowH - fb.listR.Dy(); fb.scroll != maxS {
		t.Fatalf("scrolled to %d at the end, want %d", fb.scroll, maxS)
	}
	pressKey(h, key.NameHome)
	if fb.scroll != 0 || fb.sel != 0 {
		t.Fatalf("Home: scroll %d, selection %d", fb.scroll, fb.sel)
	}
	pressKey(h, key.NamePageDown, key.NamePageDown, key.NamePageDown)
	if top := fb.sel*fb.rowH - fb.scroll; top < 0 || top+fb.rowH > fb.listR.Dy() {
		t.Fatalf("the selection (row %d at %d px) is out of view", fb.sel, top)
	}
}

func TestReadListingCapsAndResolves(t *testing.T) {
	dir := fbTree(t)
	l := readFolder(dir, 3)
	if len(l.entries) != 3 || !l.capped || l.err != nil {
		t.Fatalf("readFolder with a cap of 3: %d entries, capped %v, err %v", len(l.entries), l.capped, l.err)
	}
	l = readFolder(dir, maxListing)
	if len(l.entries) != 9 || l.capped || !l.entries[0].dir || l.entries[len(l.entries)-1].name != "zeta.CSV" {
		t.Fatalf("full listing: %d entries, capped %v, first %+v", len(l.entries), l.capped, l.entries[0])
	}
	l = readListing(filepath.Join(dir, "nope", "deeper", "x.csv"), "", true, maxListing)
	if l.dir != dir || l.pick != "x.csv" || l.err != nil {
		t.Fatalf("walking up from a missing path: %q pick %q err %v", l.dir, l.pick, l.err)
	}
	l = readListing(filepath.Join(dir, "nope"), "", false, maxListing)
	if l.err == nil || !os.IsNotExist(l.err) {
		t.Fatalf("missing folder without walking up: err %v", l.err)
	}
	l = readListing(filepath.Join(dir, "b.csv"), "", false, maxListing)
	if l.dir != dir || l.pick != "b.csv" {
		t.Fatalf("a file's path lists %q picking %q", l.dir, l.pick)
	}
	if err := os.Symlink(filepath.Join(dir, "alpha"), filepath.Join(dir, "link")); err == nil {
		l = readFolder(dir, maxListing)
		i := slices.IndexFunc(l.entries, func(e fbEntry) bool { return e.name == "link" })
		if i < 0 || !l.entries[i].dir {
			t.Fatalf("a link to a folder is not listed as a folder: %+v", l.entries)
		}
	}
}

// TestFileBrowserReadsInBackground checks the window's path: folders are read by a
// background job and shown in a later frame.
func TestFileBrowserReadsInBackground(t *testing.T) {
	dir := fbTree(t)
	h := newRig(t)
	h.background()
	h.fb.Open(browseData, &h.data)
	h.fb.navigate(dir, "", false)
	for deadline := time.Now().Add(20 * time.Second); h.fb.loading && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		h.frame()
	}
	if h.fb.loading || h.fb.dir != dir || len(h.fb.rows) != 6 {
		t.Fatalf("background listing: loading %v, folder %q, %d rows", h.fb.loading, h.fb.dir, len(h.fb.rows))
	}
}

// TestFileBrowserScreenshot renders the open browser on the headless GPU and checks that
// the card, the selected row and the dimmed background show; with MFLOWLAB_FB_SHOT set it
// writes the picture to that PNG file.
func TestFileBrowserScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("headless rendering skipped in -short mode")
	}
	if os.Getenv("EGL_PLATFORM") == "" {
		os.Setenv("EGL_PLATFORM", "surfaceless") // render without an X or Wayland display
	}
	size := image.Pt(1280, 800)
	win, err := headless.NewWindow(size.X, size.Y)
	if err != nil {
		t.Skipf("no headless GPU: %v", err)
	}
	defer win.Release()
	dir := t.TempDir()
	for _, d := range []string{"checkpoints", "runs", "sessions"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, n := range map[string]int{"spiral_dataset_20k.csv": 1_184_213, "spirals_noise3.csv": 236_870,
		"spirals_rot2.csv": 241_002, "test_points.pt": 48_311, "README.md": 900, "train.log": 81_220} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newRig(t)
	h.size = size
	h.data.SetText(filepath.Join(dir, "spirals_noise3.csv"))
	h.fb.Open(browseData, &h.data)
	frame := func() {
		h.frame()
		if err := win.Frame(&h.ops); err != nil {
			t.Fatal(err)
		}
	}
	frame()
	frame()
	fb := h.fb
	h.pointer(pointer.Move, f32.Pt(float32(fb.listR.Min.X+80), float32(fb.listR.Min.Y+3*fb.rowH+fb.rowH/2)), 0)
	frame()
	img := image.NewRGBA(image.Rectangle{Max: size})
	if err := win.Screenshot(img); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("MFLOWLAB_FB_SHOT"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Logf("wrote %s", out)
	}
	// The selected row (spirals_noise3.csv, after .., 3 folders and one file) is tinted with
	// the light accent; the list's background is the card's white.
	th := h.th
	y := fb.listR.Min.Y + 5*fb.rowH + fb.rowH/2 - fb.scroll
	if c := img.RGBAAt(fb.listR.Max.X-30, y); !near(c.R, th.AccentL.R) || !near(c.G, th.AccentL.G) || !near(c.B, th.AccentL.B) {
		t.Fatalf("selected row pixel %v, want the light accent %v", c, th.AccentL)
	}
	if c := img.RGBAAt(fb.listR.Max.X-30, fb.listR.Max.Y-5); c.R != 255 || c.G != 255 || c.B != 255 {
		t.Fatalf("empty list pixel %v, want white", c)
	}
}

func near(a, b uint8) bool { return a+3 >= b && b+3 >= a }
