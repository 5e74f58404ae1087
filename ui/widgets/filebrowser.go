package widgets

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/widget"
)

// Browse says what a file browser is opened for: its title, the file name extensions it
// lists while "show all files" is off (lower case, with the dot), and what the chosen path
// is for (said in the note after Choose, e.g. "Load reads it").
type Browse struct {
	Title string
	Exts  []string
	Use   string
}

// BrowseLabel is the text of the Browse buttons next to path fields.
const BrowseLabel = "Browse…"

// BrowseWidth returns the width of a Browse button on f.
func BrowseWidth(f *Form) int { return f.ButtonWidth(BrowseLabel) }

// ButtonWidth returns the width Line.Button gives a button labelled s.
func (f *Form) ButtonWidth(s string) int {
	return f.Face(Regular, f.T.Body).Measure(s) + f.Dp(20)
}

// fbTag is an input tag of the browser: a distinct address.
type fbTag struct{ _ byte }

// FileBrowser is a modal file browser card over an area of the window: it lists one folder
// and puts the file the user picks into a path field. Folders are read through Go (on the
// frame's goroutine when Go is nil). The card's chrome and the visible rows of the list
// are drawn on two CPU surfaces, so that an unchanged browser costs two cached images a
// frame and scrolling redraws only the list. Set Theme before the first Layout.
type FileBrowser struct {
	// Theme draws the card.
	Theme *Theme
	// Go runs work in the background and applies the closure it returns on the frame's
	// goroutine before a later frame; nil reads folders at once.
	Go func(work func() (apply func()))
	// Notify, when set, is told what was chosen ("chose PATH — Load reads it").
	Notify func(msg string)

	shown  bool
	kind   Browse
	target *Field // the path field that Choose fills
	wd     string // the working directory: chosen paths inside it are made relative

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

	folder, name       Field
	showAll            Toggle
	up, cancel, choose widget.Clickable
	nameTo             *string // text for the name field once it is not being edited
	unfocus            bool    // drop the keyboard focus in the next frame
	fill               *Field  // a field waiting for the chosen path (it had the focus)
	fillText           string

	chrome, list  Surface
	scrimT, listT fbTag
	listR         image.Rectangle // the list's area in window pixels in the last frame
	allR          image.Rectangle // the "show all files" line in window pixels (tests click it)
	rowH          int
}

// Open shows the browser for kind in the folder of target's path (the working directory
// when it is empty); Choose puts the chosen path into target.
func (fb *FileBrowser) Open(kind Browse, target *Field) {
	fb.kind, fb.target, fb.shown = kind, target, true
	fb.problem, fb.unfocus, fb.prefill = "", true, true
	fb.dir, fb.listing, fb.rows, fb.hidden = "", fbListing{}, fb.rows[:0], 0
	fb.sel, fb.hoverY, fb.scroll, fb.clickRow = -1, -1, 0, -1
	fb.showAll.Value = false
	fb.setName("")
	fb.wd, _ = os.Getwd()
	p := CleanPath(target.Text())
	if p == "" {
		p = fb.wd
	} else if !filepath.IsAbs(p) && fb.wd != "" {
		p = filepath.Join(fb.wd, p)
	}
	fb.navigate(p, "", true)
}

// Shown reports whether the browser is open.
func (fb *FileBrowser) Shown() bool { return fb.shown }

// close hides the browser; a listing still being read is dropped.
func (fb *FileBrowser) close(gtx layout.Context) {
	fb.shown, fb.loading = false, false
	fb.seq++
	gtx.Execute(key.FocusCmd{Tag: nil})
	gtx.Execute(op.InvalidateCmd{})
}

// navigate lists path (see readListing), selecting pick.
func (fb *FileBrowser) navigate(path, pick string, walkUp bool) {
	fb.seq++
	seq := fb.seq
	fb.loading, fb.problem = true, ""
	if fb.Go == nil {
		fb.apply(readListing(path, pick, walkUp, maxListing))
		return
	}
	fb.Go(func() func() {
		l := readListing(path, pick, walkUp, maxListing)
		return func() {
			if fb.seq == seq {
				fb.apply(l)
			}
		}
	})
}

// apply shows a listing that was read.
func (fb *FileBrowser) apply(l fbListing) {
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
func (fb *FileBrowser) filter() {
	fb.rows, fb.hidden = fb.rows[:0], 0
	if fb.dir != "" && filepath.Dir(fb.dir) != fb.dir {
		fb.rows = append(fb.rows, fbEntry{name: "..", dir: true, up: true})
	}
	exts := fb.kind.Exts
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
func (fb *FileBrowser) find(name string) int {
	for i, r := range fb.rows {
		if !r.up && r.name == name && name != "" {
			return i
		}
	}
	return -1
}

// entry returns the listed entry called name, shown or not.
func (fb *FileBrowser) entry(name string) (fbEntry, bool) {
	for _, e := range fb.listing.entries {
		if e.name == name {
			return e, true
		}
	}
	return fbEntry{}, false
}

// setName puts s into the name field as soon as the user is not editing it.
func (fb *FileBrowser) setName(s string) { fb.nameTo = &s }

// selectRow selects row i; a file's name goes into the name field.
func (fb *FileBrowser) selectRow(i int) {
	if i < 0 || i >= len(fb.rows) {
		return
	}
	fb.sel, fb.reveal = i, true
	if r := fb.rows[i]; !r.dir {
		fb.setName(r.name)
	}
}

// move moves the selection by d rows.
func (fb *FileBrowser) move(d int) {
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
func (fb *FileBrowser) enter(i int) {
	r := fb.rows[i]
	if r.up {
		fb.parent()
		return
	}
	fb.navigate(filepath.Join(fb.dir, r.name), "", false)
}

// parent lists the parent folder with the current one selected.
func (fb *FileBrowser) parent() {
	if fb.dir == "" || filepath.Dir(fb.dir) == fb.dir {
		return
	}
	fb.navigate(filepath.Dir(fb.dir), filepath.Base(fb.dir), false)
}

// activate opens row i if it is a folder and chooses it if it is a file.
func (fb *FileBrowser) activate(gtx layout.Context, i int) {
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
func (fb *FileBrowser) chosen() string {
	if fb.dir == "" {
		return ""
	}
	if name := CleanPath(fb.name.Text()); name != "" {
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
func (fb *FileBrowser) choosePressed(gtx layout.Context) {
	name := CleanPath(fb.name.Text())
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
func (fb *FileBrowser) finish(gtx layout.Context, p string) {
	fb.close(gtx)
	s := displayPath(fb.wd, p)
	if fb.target.Focused() {
		fb.fill, fb.fillText = fb.target, s // it takes the text once the focus has left
	} else {
		fb.target.SetText(s)
	}
	if fb.Notify != nil {
		msg := "chose " + s
		if fb.kind.Use != "" {
			msg += " — " + fb.kind.Use
		}
		fb.Notify(msg)
	}
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

// CleanPath trims spaces and quotes that come with pasted paths and expands ~/.
func CleanPath(p string) string {
	p = strings.Trim(strings.TrimSpace(p), `"'`)
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	return p
}

// errText phrases a listing error.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

// Editing reports whether one of the browser's text fields has the keyboard focus.
func (fb *FileBrowser) Editing() bool {
	return fb.shown && (fb.folder.Focused() || fb.name.Focused())
}

// Keys handles the browser's keys while it is open and reports whether it is open, so
// that the window's shortcuts stay off. With a text field focused (the browser's, or
// another when editing is set), keys go to the field.
func (fb *FileBrowser) Keys(gtx layout.Context, editing bool) bool {
	if !fb.shown {
		return false
	}
	if editing || fb.Editing() {
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
func (fb *FileBrowser) rowAt(y int) int {
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
func (fb *FileBrowser) listEvents(gtx layout.Context) {
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

// Target returns the field that Choose fills.
func (fb *FileBrowser) Target() *Field { return fb.target }

// Kind returns what the browser was opened for.
func (fb *FileBrowser) Kind() Browse { return fb.kind }

// Dir returns the folder listed.
func (fb *FileBrowser) Dir() string { return fb.dir }

// Rows returns the names of the rows shown.
func (fb *FileBrowser) Rows() []string {
	s := make([]string, len(fb.rows))
	for i, r := range fb.rows {
		s[i] = r.name
	}
	return s
}
