package widgets

import (
	"errors"
	"image"
	"image/color"
	"testing"
	"time"

	"gioui.org/f32"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/unit"
	"gioui.org/widget"
)

// rig lays out one form per frame through an input router.
type rig struct {
	th     *Theme
	router input.Router
	ops    op.Ops
	surf   Surface
}

func (r *rig) frame(build func(f *Form)) *Form {
	r.ops.Reset()
	gtx := layout.Context{Ops: &r.ops, Now: time.Now(), Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1},
		Constraints: layout.Exact(image.Pt(300, 200)), Source: r.router.Source()}
	f := NewForm(gtx, r.th, &r.surf, image.Point{}, 300, 200, r.th.Panel, 10)
	build(f)
	r.surf.Paint(gtx)
	r.router.Frame(&r.ops)
	return f
}

func (r *rig) click(p f32.Point) {
	r.router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Position: p, Buttons: pointer.ButtonPrimary},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: p},
	)
}

func TestFieldEditing(t *testing.T) {
	r := &rig{th: NewTheme()}
	var fl Field
	fl.Check = func(s string) error {
		if _, ok := fl.Float(); !ok {
			return errors.New("not a number")
		}
		return nil
	}
	fl.SetFloat(0.25)
	build := func(f *Form) { ln := f.Line(24); ln.Field(&fl, 200, "hint") }
	r.frame(build)
	r.click(f32.Pt(50, 12))
	r.frame(build)
	if !fl.Focused() {
		t.Fatal("a click did not focus the field")
	}
	r.router.Queue(key.EditEvent{Range: key.Range{Start: 4, End: 4}, Text: "5x"})
	r.frame(build)
	if fl.Text() != "0.255x" || !fl.Changed() || !fl.bad {
		t.Fatalf("after typing: %q changed=%v bad=%v, want \"0.255x\", changed and invalid", fl.Text(), fl.Changed(), fl.bad)
	}
	r.router.Queue(key.Event{Name: key.NameDeleteBackward, State: key.Press})
	r.frame(build)
	if v, ok := fl.Float(); !ok || v != 0.255 || fl.bad {
		t.Fatalf("after backspace: %q (bad=%v), want 0.255", fl.Text(), fl.bad)
	}
	r.router.Queue(key.Event{Name: key.NameLeftArrow, State: key.Press}, key.Event{Name: key.NameDeleteForward, State: key.Press})
	r.frame(build)
	if fl.Text() != "0.25" {
		t.Fatalf("after ← and Delete: %q, want \"0.25\"", fl.Text())
	}
	fl.SetText("ignored while focused")
	r.router.Queue(key.Event{Name: key.NameReturn, State: key.Press})
	r.frame(build)
	if !fl.Submitted() || fl.Focused() || fl.Text() != "0.25" {
		t.Fatalf("Enter: submitted=%v focused=%v text=%q", fl.Submitted(), fl.Focused(), fl.Text())
	}
	if n, ok := (&Field{text: []rune("1e3")}).Int(); !ok || n != 1000 {
		t.Fatalf("Int of 1e3 = %d, %v", n, ok)
	}
}

func TestEscapeRestoresField(t *testing.T) {
	r := &rig{th: NewTheme()}
	var fl Field
	fl.SetText("abc")
	build := func(f *Form) { ln := f.Line(24); ln.Field(&fl, 200, "") }
	r.frame(build)
	r.click(f32.Pt(20, 12))
	r.frame(build)
	r.router.Queue(key.EditEvent{Range: key.Range{Start: 0, End: 3}, Text: "zzz"})
	r.frame(build)
	r.router.Queue(key.Event{Name: key.NameEscape, State: key.Press})
	r.frame(build)
	if fl.Text() != "abc" || fl.Focused() {
		t.Fatalf("Escape left %q (focused %v), want the text from before the edit", fl.Text(), fl.Focused())
	}
}

func TestButtonSegmentedAndCheck(t *testing.T) {
	r := &rig{th: NewTheme()}
	var b widget.Clickable
	var ch Choice
	ch.Value = "a"
	var tg Toggle
	clicks := 0
	build := func(f *Form) {
		ln := f.Line(24)
		if ln.Button(&b, Primary, "Go", 60) { // x 10..70
			clicks++
		}
		ln = f.Line(24)                                                          // y 29..53
		ln.Segmented(&ch, []string{"a", "b", "c"}, []string{"A", "B", "C"}, 180) // thirds of 10..190
		ln = f.Line(24)                                                          // y 58..82
		ln.Check(&tg, "check")
	}
	r.frame(build)
	r.click(f32.Pt(30, 10))
	r.click(f32.Pt(150, 40))
	r.click(f32.Pt(14, 70))
	f := r.frame(build)
	if clicks != 1 || ch.Value != "c" || !tg.Value || !f.Changed {
		t.Fatalf("clicks=%d choice=%q check=%v changed=%v; want 1, c, true, true", clicks, ch.Value, tg.Value, f.Changed)
	}
}

func TestSurfaceRendersOnlyChanges(t *testing.T) {
	r := &rig{th: NewTheme()}
	text := "hello"
	build := func(f *Form) { f.Text(Regular, 13, f.T.Text, text) }
	r.frame(build)
	v := r.surf.version
	img := r.surf.img
	r.frame(build)
	if r.surf.version != v {
		t.Fatal("an unchanged surface was rendered again")
	}
	text = "world"
	r.frame(build)
	if r.surf.version == v || r.surf.img == img {
		t.Fatal("a changed surface was not rendered into a fresh buffer")
	}
	// The text left dark pixels on the panel colour.
	dark := 0
	for i := 0; i < len(r.surf.img.Pix); i += 4 {
		if r.surf.img.Pix[i] < 120 {
			dark++
		}
	}
	if dark < 20 {
		t.Fatalf("only %d dark pixels: the text was not drawn", dark)
	}
}

func TestRoundedFillCoverage(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	fillRRect(img, image.Rect(0, 0, 40, 40), 10, color.NRGBA{255, 0, 0, 255})
	if a := img.RGBAAt(0, 0).A; a != 0 {
		t.Fatalf("corner pixel alpha %d, want 0 (outside the rounding)", a)
	}
	if c := img.RGBAAt(20, 20); c != (color.RGBA{255, 0, 0, 255}) {
		t.Fatalf("centre %v, want opaque red", c)
	}
	if a := img.RGBAAt(3, 2).A; a == 0 || a == 255 {
		// (3.5, 2.5) lies 9.92 from the corner centre (10, 10): on the arc of radius 10.
		t.Fatalf("edge pixel alpha %d, want partial coverage", a)
	}
}

func TestFaceFit(t *testing.T) {
	f := NewFonts().Face(Regular, 13)
	s := "a rather long caption that cannot fit"
	w := f.Measure(s)
	if w <= 0 {
		t.Fatal("zero width")
	}
	got := f.Fit(s, w/2)
	if f.Measure(got) > w/2 || len(got) >= len(s) || got[len(got)-3:] != "…" {
		t.Fatalf("Fit(%d px) = %q (%d px)", w/2, got, f.Measure(got))
	}
	if f.Fit("short", w) != "short" {
		t.Fatal("Fit shortened text that fits")
	}
}
