package widgets

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"strings"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
)

// fbCols are the list's columns: where names start and how wide they may be, and the right
// edges of the size and date columns (0 when the list is too narrow for them).
type fbCols struct {
	name, nameW int
	size, mod   int
}

// columns lays out the columns of a list w pixels wide.
func (fb *FileBrowser) columns(gtx layout.Context, w int) fbCols {
	mf := fb.face(gtx, Mono, fb.Theme.Small)
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

func (fb *FileBrowser) face(gtx layout.Context, s Style, size float64) *Face {
	return fb.Theme.Fonts.Face(s, size*float64(gtx.Metric.PxPerDp))
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
func (fb *FileBrowser) status() (msg, path string, c color.NRGBA) {
	th := fb.Theme
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
func (fb *FileBrowser) counts() string {
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

// Layout draws the open browser over the area (area pixels at the current origin), which
// it dims and takes the pointer from; closed, it only hands a chosen path to a field that
// was being edited.
func (fb *FileBrowser) Layout(gtx layout.Context, area image.Point) {
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
	th := fb.Theme
	defer clip.Rect{Max: area}.Push(gtx.Ops).Pop()

	// The scrim: dims the plane and keeps the pointer from it.
	event.Op(gtx.Ops, &fb.scrimT)
	FillRect(gtx, image.Rectangle{Max: area}, WithAlpha(th.Text, 72))
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
	f := NewForm(gtx, th, &fb.chrome, org, cw+2*m, ch+2*m, color.NRGBA{}, m+pad)
	f.Y = m
	f.Section(fb.kind.Title, strings.Join(fb.kind.Exts, "  "), th.Muted)

	// Folder: typed or shown, its end visible when it is long.
	lw := f.Dp(52)
	upW := f.ButtonWidth("↑ Up")
	y0 := f.Y
	ln := f.Line(26)
	ln.LabelW("Folder", lw, th.Muted)
	fw := ln.Rest() - upW - f.Dp(6)
	ln.Field(&fb.folder, fw, "folder")
	if !fb.folder.Focused() {
		fb.folderText(f, image.Rect(f.X+lw, y0, f.X+lw+fw, y0+f.Dp(26)))
	}
	if fb.folder.Submitted() {
		if p := CleanPath(fb.folder.Text()); p != "" {
			if !filepath.IsAbs(p) && fb.dir != "" {
				p = filepath.Join(fb.dir, p)
			}
			fb.navigate(p, "", false)
		}
	}
	if ln.Button(&fb.up, Secondary, "↑ Up", upW) {
		fb.parent()
	}

	// Column titles, then the list's frame; the list itself is its own surface.
	inset := max(2, f.Dp(2))
	listW := f.W - 2*inset
	cols := fb.columns(gtx, listW)
	hf := f.Face(Regular, th.Small)
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
	sf := f.Face(Regular, th.Small)
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
	f.Text(Regular, th.Small, c, msg)
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
	cancelW, chooseW := f.ButtonWidth("Cancel"), max(f.ButtonWidth("Choose"), f.Dp(84))
	ln.Field(&fb.name, ln.Rest()-cancelW-chooseW-f.Dp(12), "file name (type a new one to save)")
	if fb.nameTo != nil && !fb.name.Focused() {
		fb.name.SetText(*fb.nameTo)
		fb.nameTo = nil
		f.Changed = true
	}
	submitted := fb.name.Submitted()
	if ln.Button(&fb.cancel, Secondary, "Cancel", cancelW) {
		fb.close(gtx)
	}
	if ln.Button(&fb.choose, Primary, "Choose", chooseW) || submitted {
		fb.choosePressed(gtx)
	}
	if !fb.shown {
		return
	}
	card := image.Rect(m, m, m+cw, m+ch)
	f.L.Underlay(func(l *List) {
		// A soft shadow: translucent layers growing out from under the card.
		for i := 6; i >= 1; i-- {
			o := m * i / 7
			l.Fill(card.Inset(-o).Add(image.Pt(0, f.Dp(4))), f.Dp(8)+o, WithAlpha(th.Text, 7))
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
			FillRect(gtx, image.Rect(gtx.Dp(3), y+1, lsz.X-gtx.Dp(3), y+fb.rowH-1), WithAlpha(th.Accent, 22))
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
func (fb *FileBrowser) folderText(f *Form, r image.Rectangle) {
	fc := f.Face(Mono, f.T.Small+0.5)
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
func (fb *FileBrowser) clampScroll(h int) {
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
func (fb *FileBrowser) drawList(gtx layout.Context, sz image.Point, cols fbCols) {
	th := fb.Theme
	l := fb.list.Begin(sz.X, sz.Y, th.Card)
	nf := fb.face(gtx, Regular, th.Small+1)
	mf := fb.face(gtx, Mono, th.Small)
	rh := fb.rowH
	folderC := Mix(th.Accent, th.Card, 0.35)
	fileC := Mix(th.Muted, th.Card, 0.25)
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
				c = Mix(th.Muted, th.Card, 0.45)
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
		l.Fill(image.Rect(sz.X-bw-gtx.Dp(3), top+gtx.Dp(2), sz.X-gtx.Dp(3), top+h-gtx.Dp(2)), bw/2, WithAlpha(th.Muted, 90))
	}
}
