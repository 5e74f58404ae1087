package run

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
)

// Named architectures and training recipes, shared by `mflowlab runs` and research code.
// A recipe is applied to an architecture ("config"): RecipeSettings("live", "original") is
// the original alternating recipe at the live size. To add a recipe, add a row to recipes.

// DefaultRecipe is the recipe name that stands for each config's own default recipe.
const DefaultRecipe = "default"

// Weights says which weights a run hands over (and which a measurement evaluates).
type Weights uint8

const (
	// WeightsLast are the live weights after the last step (the app's live training).
	WeightsLast Weights = iota
	// WeightsBest are the best-validation weights, which flow.Trainer restores when its
	// epochs end (the original recipe's early stopping).
	WeightsBest
	// WeightsBestFit are the weights of the best measurement of the data's own fit
	// (flow.TrainConfig.FitEvery, flow.Trainer.BestFit): d2m95 on the validation rows, no
	// knowledge of the true curve.
	WeightsBestFit
)

// String returns "last", "best-validation" or "best-fit".
func (w Weights) String() string {
	switch w {
	case WeightsBest:
		return "best-validation"
	case WeightsBestFit:
		return "best-fit"
	}
	return "last"
}

// ParseWeights parses the names String returns.
func ParseWeights(s string) (Weights, error) {
	for _, w := range []Weights{WeightsLast, WeightsBest, WeightsBestFit} {
		if w.String() == s {
			return w, nil
		}
	}
	return 0, fmt.Errorf("run: unknown weights %q (want last, best-validation or best-fit)", s)
}

// configEntry is a named architecture with its default recipe.
type configEntry struct {
	flow          func() flow.Config
	defaultRecipe string
}

var configs = map[string]configEntry{
	"live":     {flow.LiveConfig, "geodesic"},
	"original": {flow.OriginalConfig, "original"},
}

// Recipe is one row of the registry.
type Recipe struct {
	Name    string
	Doc     string                  // one line for help texts
	Train   func() flow.TrainConfig // the hyper-parameters (Seed is set per run)
	Weights Weights                 // which weights a run of this recipe hands over
	// Alternate sets flow.Config.Alternate on the architecture: the couplings transform the
	// two coordinates in turn instead of in the seed's random order.
	Alternate bool
}

var recipes = []Recipe{
	{Name: "geodesic", Doc: "couplings alternate; unroll first: 2 starts regress h_M onto the data's geodesic coordinate, the better is kept and its curve pulled onto the data, then MSE×100 + NLL×0.01 at lr 2e-4",
		Train: GeodesicTraining, Weights: WeightsLast, Alternate: true},
	{Name: "joint", Doc: "the app's live default: MSE×100 + NLL×0.01 every step, lr 2e-3, batch 256",
		Train: func() flow.TrainConfig { return DefaultSettings().Train }, Weights: WeightsLast},
	{Name: "original", Doc: "the original recipe (spec 5.5): alternating epochs, MSE only, lr 1e-3 cosine, batch 512, 35 epochs, best-validation weights",
		Train: flow.OriginalTraining, Weights: WeightsBest},
}

// GeodesicTraining returns the geodesic recipe (flow.RecipeGeodesic) on top of the live
// training defaults: 2 starts × 200 steps, 200 unrolling and 1 400 aligning steps, then
// MSE×100 + NLL×0.01 at lr 2e-4 with both regressions kept at weight 10 (measured in the
// README's recipe table; its registry row also makes the couplings alternate).
func GeodesicTraining() flow.TrainConfig {
	c := DefaultSettings().Train
	c.Recipe = flow.RecipeGeodesic
	c.Starts, c.StartSteps, c.Unroll, c.Align, c.Anchor, c.JointLR = 2, 200, 200, 1400, 10, 2e-4
	return c
}

// ConfigNames returns the architecture names in sorted order ("live", "original").
func ConfigNames() []string {
	names := make([]string, 0, len(configs))
	for n := range configs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RecipeNames returns the recipe names in sorted order, DefaultRecipe included.
func RecipeNames() []string {
	names := []string{DefaultRecipe}
	for _, r := range recipes {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	return names
}

// LookupRecipe returns the registry row of recipe for config, resolving DefaultRecipe to
// the config's own default. Errors list the valid names.
func LookupRecipe(config, recipe string) (Recipe, error) {
	c, ok := configs[config]
	if !ok {
		return Recipe{}, fmt.Errorf("run: unknown config %q (want one of %s)", config, strings.Join(ConfigNames(), ", "))
	}
	if recipe == DefaultRecipe {
		recipe = c.defaultRecipe
	}
	for _, r := range recipes {
		if r.Name == recipe {
			return r, nil
		}
	}
	return Recipe{}, fmt.Errorf("run: unknown recipe %q (want one of %s)", recipe, strings.Join(RecipeNames(), ", "))
}

// ResolveRecipe returns the recipe name that recipe stands for under config: the config's
// default for DefaultRecipe, recipe itself otherwise.
func ResolveRecipe(config, recipe string) (string, error) {
	r, err := LookupRecipe(config, recipe)
	return r.Name, err
}

// RecipeSettings returns the settings of the named recipe on the named architecture
// ("live": flow.LiveConfig, "original": flow.OriginalConfig), with Seed 1. The "original"
// recipe on the "original" config is exactly OriginalSettings; "joint" on "live" is exactly
// DefaultSettings.
func RecipeSettings(config, recipe string) (Settings, error) {
	r, err := LookupRecipe(config, recipe)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Flow: configs[config].flow(), Train: r.Train(), Seed: 1}
	s.Flow.Alternate = r.Alternate
	return s, nil
}
