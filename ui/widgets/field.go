package widgets

import (
	"image"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gioui.org/io/clipboard"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/transfer"
	"gioui.org/op"
	"gioui.org/op/clip"
)

// Field is a one-line text field: click to focus, type, Enter to submit, Escape to drop
// the edit. Numeric fields parse their text with Float or Int; Check, when set, outlines
// the field in red while the text is invalid.
type Field struct {
	Check func(s string) error

	text    []rune
	caret   int
	focused bool
	changed bool
	submit  bool
	bad     bool
	before  string // text when the field got the focus, restored by Escape
	scroll  int    // pixels of text hidden on the left
	synced  string // text and caret last reported to the input method
}

// SetText replaces the text unless the user is editing the field.
func (f *Field) SetText(s string) {
	if f.focused || string(f.text) == s {
		return
	}
	f.text = []rune(s)
	f.caret = len(f.text)
	f.validate()
}

// SetFloat shows v in the shortest form that reads back as the same value.
func (f *Field) SetFloat(v float64) { f.SetText(strconv.FormatFloat(v, 'g', -1, 64)) }

// SetInt shows v.
func (f *Field) SetInt(v int) { f.SetText(strconv.Itoa(v)) }

// Text returns the trimmed text.
func (f *Field) Text() string { return strings.TrimSpace(string(f.text)) }

// Float parses the text as a finite number.
func (f *Field) Float() (float64, bool) {
	v, err := strconv.ParseFloat(f.Text(), 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// Int parses the text as an integer (a whole float such as 1e3 is accepted).
func (f *Field) Int() (int, bool) {
	if v, err := strconv.Atoi(f.Text()); err == nil {
		return v, true
	}
	v, ok := f.Float()
	if !ok || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		return 0, false
	}
	return int(v), true
}

// Changed reports whether the text was edited during the last frame.
func (f *Field) Changed() bool { return f.changed }

// Submitted reports whether Enter was pressed during the last frame.
func (f *Field) Submitted() bool { return f.submit }

// Focused reports whether the field has the keyboard focus.
func (f *Field) Focused() bool { return f.focused }

// SetBad marks the field invalid (or valid) regardless of Check.
func (f *Field) SetBad(bad bool) { f.bad = bad }

func (f *Field) validate() {
	f.bad = false
	if f.Check != nil {
		f.bad = f.Check(f.Text()) != nil
	}
}

// edit replaces runes [a, b) with s and puts the caret after them.
func (f *Field) edit(a, b int, s string) {
	a, b = max(0, min(a, len(f.text))), max(0, min(b, len(f.text)))
	if a > b {
		a, b = b, a
	}
	ins := []rune(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s))
	t := make([]rune, 0, len(f.text)-(b-a)+len(ins))
	t = append(append(append(t, f.text[:a]...), ins...), f.text[b:]...)
	f.text, f.caret = t, a+len(ins)
	f.changed = true
	f.validate()
}

// update processes the field's events since the last frame.
func (f *Field) update(fm *Form) {
	gtx := fm.Gtx
	f.changed, f.submit = false, false
	for {
		ev, ok := gtx.Event(
			pointer.Filter{Target: f, Kinds: pointer.Press},
			key.FocusFilter{Target: f},
			transfer.TargetFilter{Target: f, Type: "application/text"},
			key.Filter{Focus: f, Name: key.NameDeleteBackward, Optional: key.ModShortcut},
			key.Filter{Focus: f, Name: key.NameDeleteForward, Optional: key.ModShortcut},
			key.Filter{Focus: f, Name: key.NameLeftArrow, Optional: key.ModShift},
			key.Filter{Focus: f, Name: key.NameRightArrow, Optional: key.ModShift},
			key.Filter{Focus: f, Name: key.NameHome},
			key.Filter{Focus: f, Name: key.NameEnd},
			key.Filter{Focus: f, Name: key.NameReturn},
			key.Filter{Focus: f, Name: key.NameEnter},
			key.Filter{Focus: f, Name: key.NameEscape},
			key.Filter{Focus: f, Name: "V", Required: key.ModShortcut},
			key.Filter{Focus: f, Name: "A", Required: key.ModShortcut},
		)
		if !ok {
			break
		}
		switch e := ev.(type) {
		case pointer.Event:
			if e.Kind == pointer.Press {
				gtx.Execute(key.FocusCmd{Tag: f})
			}
		case key.FocusEvent:
			f.focused = e.Focus
			if e.Focus {
				f.before = string(f.text)
				f.caret = len(f.text)
			}
			fm.Changed = true
		case key.EditEvent:
			if f.focused {
				f.edit(e.Range.Start, e.Range.End, e.Text)
			}
		case key.SelectionEvent:
			f.caret = max(0, min(e.End, len(f.text)))
		case transfer.DataEvent:
			if rc := e.Open(); rc != nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 4096))
				rc.Close()
				if utf8.Valid(b) {
					f.edit(f.caret, f.caret, string(b))
				}
			}
		case key.Event:
			if e.State != key.Press {
				break
			}
			switch e.Name {
			case key.NameDeleteBackward:
				if e.Modifiers.Contain(key.ModShortcut) {
					f.edit(0, f.caret, "")
				} else if f.caret > 0 {
					f.edit(f.caret-1, f.caret, "")
				}
			case key.NameDeleteForward:
				if f.caret < len(f.text) {
					f.edit(f.caret, f.caret+1, "")
				}
			case key.NameLeftArrow:
				f.caret = max(0, f.caret-1)
			case key.NameRightArrow:
				f.caret = min(len(f.text), f.caret+1)
			case key.NameHome:
				f.caret = 0
			case key.NameEnd:
				f.caret = len(f.text)
			case key.NameReturn, key.NameEnter:
				f.submit = true
				gtx.Execute(key.FocusCmd{Tag: nil})
			case key.NameEscape:
				f.text = []rune(f.before)
				f.caret = len(f.text)
				f.changed = true
				f.validate()
				gtx.Execute(key.FocusCmd{Tag: nil})
			case "V":
				gtx.Execute(clipboard.ReadCmd{Tag: f})
			case "A":
				f.edit(0, len(f.text), "")
			}
		}
	}
	if state := string(f.text) + "\x00" + strconv.Itoa(f.caret); f.focused && state != f.synced {
		// Tell the input method what the field holds, so that typed text arrives as edits
		// of the right range.
		f.synced = state
		n := len(f.text)
		gtx.Execute(key.SnippetCmd{Tag: f, Snippet: key.Snippet{Range: key.Range{Start: 0, End: n}, Text: string(f.text)}})
		gtx.Execute(key.SelectionCmd{Tag: f, Range: key.Range{Start: f.caret, End: f.caret}})
	} else if !f.focused {
		f.synced = ""
	}
	if f.changed || f.submit {
		fm.Changed = true
	}
}

// Field draws f as a box w pixels wide showing hint while empty, and handles its input.
func (l *Line) Field(f *Field, w int, hint string) {
	fm := l.f
	f.update(fm)
	r := image.Rect(l.x, l.y, l.x+w, l.y+l.h)
	border := fm.T.Border
	switch {
	case f.bad:
		border = fm.T.Error
	case f.focused:
		border = fm.T.Accent
	}
	fm.L.Box(r, fm.Dp(4), fm.T.Card, border)
	if f.focused || f.bad {
		fm.L.Border(r.Inset(1), fm.Dp(3), WithAlpha(border, 110))
	}
	fc := fm.Face(Mono, fm.T.Small+0.5)
	pad := fm.Dp(6)
	inner := image.Rect(r.Min.X+pad-1, r.Min.Y+1, r.Max.X-pad+1, r.Max.Y-1)
	base := l.baseline(fc)
	if len(f.text) == 0 && !f.focused {
		hf := fm.Face(Regular, fm.T.Small)
		fm.L.Text(hf, r.Min.X+pad, base, hf.Fit(hint, w-2*pad), WithAlpha(fm.T.Muted, 150), inner)
	} else {
		// Keep the caret in view.
		cx := fc.Measure(string(f.text[:min(f.caret, len(f.text))]))
		avail := w - 2*pad
		if !f.focused {
			f.scroll = 0
		} else if cx-f.scroll > avail-2 {
			f.scroll = cx - avail + 2
		} else if cx-f.scroll < 0 {
			f.scroll = cx
		}
		x := r.Min.X + pad - f.scroll
		fm.L.Text(fc, x, base, string(f.text), fm.T.Text, inner)
		if f.focused {
			fm.L.Fill(image.Rect(x+cx, r.Min.Y+fm.Dp(5), x+cx+max(1, fm.Dp(1.5)), r.Max.Y-fm.Dp(5)), 0, fm.T.Accent)
		}
	}
	// Input area: pointer presses focus the field; the text cursor shows over it.
	gtx := fm.Gtx
	st := op.Offset(fm.Org.Add(r.Min)).Push(gtx.Ops)
	ar := clip.Rect{Max: r.Size()}.Push(gtx.Ops)
	event.Op(gtx.Ops, f)
	pointer.CursorText.Add(gtx.Ops)
	key.InputHintOp{Tag: f, Hint: key.HintAny}.Add(gtx.Ops)
	ar.Pop()
	st.Pop()
	l.x += w + fm.Dp(6)
}
