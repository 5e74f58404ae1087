package cifar

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/app/session"
	"github.com/mflowlab/mflowlab/app/ws"
	"github.com/mflowlab/mflowlab/attack"
)

// part is the workspace's part of a session file: the models, the attack, the pool, the
// filters, the page and the sample in the detail view.
type part struct {
	Images     string  `json:"images,omitempty"`
	Classifier string  `json:"classifier,omitempty"`
	Defence    string  `json:"defence"`
	Attack     string  `json:"attack"` // fgsm, pgd, pgd-l2
	Eps        float64 `json:"eps"`    // pixel units
	Alpha      float64 `json:"alpha"`
	Steps      int     `json:"steps"`
	Targeted   bool    `json:"targeted,omitempty"`
	Target     int32   `json:"target,omitempty"`
	Pool       int     `json:"pool"`
	Seed       uint64  `json:"seed"`
	Adaptive   bool    `json:"adaptive"`
	Filter     filter  `json:"filter"`
	Page       int     `json:"page"`
	Detail     int     `json:"detail"`     // pool index in the detail view, −1 for the gallery
	DetailEps  float64 `json:"detail_eps"` // the detail view's ε slider
	Selected   int     `json:"selected"`   // pool index selected, −1 for none
}

// filter is FilterSpec in a session file.
type filter struct {
	Class     int    `json:"class"` // −1: all
	Case      string `json:"case,omitempty"`
	Succeeded bool   `json:"succeeded,omitempty"`
	Changed   bool   `json:"changed,omitempty"`
}

// savePart adds the workspace's part to s.
func (c *CIFAR) savePart(s *session.Session) error {
	st := c.settings
	p := part{Images: st.Images, Classifier: st.Classifier, Defence: st.Defence, Attack: st.Attack.Kind.String(),
		Eps: st.Attack.Eps, Alpha: st.Attack.Alpha, Steps: st.Attack.Steps, Targeted: st.Attack.Targeted, Target: st.Attack.Target,
		Pool: st.Pool, Seed: st.Seed, Adaptive: c.adaptive, Page: c.page, Detail: c.det.idx, DetailEps: c.det.eps, Selected: c.sel,
		Filter: filter{Class: c.filter.Class - 1, Succeeded: c.filter.Succeeded, Changed: c.filter.Changed}}
	if c.filter.Case != attack.CaseNone {
		p.Filter.Case = c.filter.Case.String()
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if s.Parts == nil {
		s.Parts = map[string]json.RawMessage{}
	}
	s.Parts[ws.CIFAR] = b
	return nil
}

// restorePart checks the session's part (on a background goroutine) and returns its
// apply; a session without one leaves the workspace as it is.
func (c *CIFAR) restorePart(path string, s *session.Session) (func(), error) {
	b, ok := s.Parts[ws.CIFAR]
	if !ok {
		return nil, nil
	}
	st, p, err := parsePart(b)
	if err != nil {
		return nil, fmt.Errorf("session %s: cifar: %v", path, err)
	}
	return func() {
		c.CloseDetail()
		c.pan.show(st)
		c.Apply(st)
		c.SetAdaptive(p.Adaptive)
		c.filter.Class, c.filter.Succeeded, c.filter.Changed = p.Filter.Class+1, p.Filter.Succeeded, p.Filter.Changed
		c.filter.Case = attack.CaseNone
		c.pan.gal.kase.Value = "all"
		if p.Filter.Case != "" {
			c.filter.Case = attack.CaseA + attack.Case(p.Filter.Case[0]-'A')
			c.pan.gal.kase.Value = p.Filter.Case
		}
		c.pan.gal.succeeded.Value, c.pan.gal.changed.Value = p.Filter.Succeeded, p.Filter.Changed
		c.page, c.sel = p.Page, p.Selected
		if p.Detail >= 0 {
			c.det.idx = p.Detail
			c.SetDetailEps(p.DetailEps)
		}
	}, nil
}

// parsePart decodes and checks a session's part.
func parsePart(b json.RawMessage) (Settings, part, error) {
	p := part{Detail: -1, Selected: -1}
	if err := json.Unmarshal(b, &p); err != nil {
		return Settings{}, p, err
	}
	k, err := attack.ParseKind(p.Attack)
	if err != nil {
		return Settings{}, p, err
	}
	finite := func(v ...float64) bool {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	switch {
	case !finite(p.Eps, p.Alpha, p.DetailEps) || p.DetailEps < 0 || p.DetailEps > 1:
		return Settings{}, p, fmt.Errorf("ε %v, step %v or detail ε %v is not a number in range", p.Eps, p.Alpha, p.DetailEps)
	case p.Pool < 1 || p.Pool > 10000:
		return Settings{}, p, fmt.Errorf("pool of %d images, want 1 to 10000", p.Pool)
	case p.Filter.Class < -1 || p.Filter.Class > 9:
		return Settings{}, p, fmt.Errorf("class filter %d, want −1 (all) or 0 to 9", p.Filter.Class)
	case p.Filter.Case != "" && (len(p.Filter.Case) != 1 || p.Filter.Case[0] < 'A' || p.Filter.Case[0] > 'D'):
		return Settings{}, p, fmt.Errorf("case filter %q, want A, B, C or D", p.Filter.Case)
	case p.Page < 0 || p.Detail < -1 || p.Detail >= p.Pool || p.Selected < -1 || p.Selected >= p.Pool:
		return Settings{}, p, fmt.Errorf("page %d, detail %d or selection %d out of range", p.Page, p.Detail, p.Selected)
	case len(p.Images) > 4096 || len(p.Classifier) > 4096 || len(p.Defence) > 4096:
		return Settings{}, p, fmt.Errorf("a path is too long")
	}
	ap := attack.Params{Kind: k, Eps: p.Eps, Alpha: p.Alpha, Steps: p.Steps, Targeted: p.Targeted, Target: p.Target,
		RandomStart: k != attack.FGSM, Box: DefaultSettings().Attack.Box}
	if err := ap.Validate(); err != nil {
		return Settings{}, p, err
	}
	return Settings{Images: p.Images, Classifier: p.Classifier, Defence: p.Defence, Attack: ap, Pool: p.Pool, Seed: p.Seed}, p, nil
}
