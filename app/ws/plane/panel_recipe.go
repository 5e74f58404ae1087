package plane

import (
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/ui/widgets"
)

// recipeDocLines is how many lines of the selected recipe's one-line doc the panel shows.
const recipeDocLines = 3

// recipeOf returns the registry's name for training configuration t on the live config:
// DefaultRecipe when it is the live default, else the first recipe it equals, else "".
func recipeOf(t flow.TrainConfig) string {
	t.Seed = 0
	names := append([]string{run.DefaultRecipe}, run.RecipeNames()...)
	for _, n := range names {
		if s, err := run.RecipeSettings(run.LiveConfig, n); err == nil {
			s.Train.Seed = 0
			if s.Train == t {
				return n
			}
		}
	}
	return ""
}

// recipeRow lays out the recipe choice (one click resets the run with the panel's seed)
// and the chosen recipe's doc.
func (p *trainPanel) recipeRow(f *widgets.Form) {
	names := run.RecipeNames()
	ln := f.Labelled("recipe", 24)
	if ln.Segmented(&p.recipe, names, names, ln.Rest()) {
		p.chooseRecipe(p.recipe.Value)
	}
	doc := "custom settings (no recipe of the registry)"
	if r, err := run.LookupRecipe(run.LiveConfig, p.recipe.Value); err == nil {
		doc = r.Doc
		if p.recipe.Value == run.DefaultRecipe {
			doc = "default is " + r.Name + ": " + r.Doc
		}
	}
	f.Paragraph(doc, recipeDocLines)
	f.Gap(3)
}

// chooseRecipe shows the registry's settings of recipe name at the live size and resets the
// run with them and the panel's seed.
func (p *trainPanel) chooseRecipe(name string) {
	s, err := run.RecipeSettings(run.LiveConfig, name)
	if err != nil {
		p.u.lab.Errorf("%v", err)
		return
	}
	p.showKeepingSeed(s)
	p.recipe.Value = name // the name clicked, also when another name means the same recipe
	p.reset()
}

// showPreset shows s in the fields (applied on Reset), keeping the panel's seed.
func (p *trainPanel) showPreset(s run.Settings) { p.showKeepingSeed(s) }

// showKeepingSeed is show with the seed field left as it is.
func (p *trainPanel) showKeepingSeed(s run.Settings) {
	seed := p.seed.Text()
	p.show(s)
	p.seed.SetText(seed)
}
