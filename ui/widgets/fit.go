package widgets

// FitStart returns s shortened with a leading ellipsis so that it is at most w pixels wide:
// the end stays visible, as the end of a long path is the part that tells folders apart.
func (f *Face) FitStart(s string, w int) string {
	if f.Measure(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[1:]
		t := "…" + string(r)
		if f.Measure(t) <= w {
			return t
		}
	}
	return ""
}
