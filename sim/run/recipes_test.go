package run

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow"
)

func TestRecipeRegistry(t *testing.T) {
	if got := RecipeNames(); !reflect.DeepEqual(got, []string{"default", "geodesic", "joint", "original"}) {
		t.Errorf("RecipeNames() = %v", got)
	}
	alt := flow.LiveConfig()
	alt.Alternate = true // the geodesic recipe's couplings alternate
	for _, c := range []struct {
		config, recipe string
		want           Settings
		name           string
		weights        Weights
	}{
		{"live", "joint", DefaultSettings(), "joint", WeightsLast},
		{"live", "default", Settings{Flow: alt, Train: GeodesicTraining(), Seed: 1}, "geodesic", WeightsLast},
		{"live", "geodesic", Settings{Flow: alt, Train: GeodesicTraining(), Seed: 1}, "geodesic", WeightsLast},
		{"original", "original", OriginalSettings(), "original", WeightsBest},
		{"original", "default", OriginalSettings(), "original", WeightsBest},
		{"live", "original", Settings{Flow: flow.LiveConfig(), Train: flow.OriginalTraining(), Seed: 1}, "original", WeightsBest},
		{"original", "joint", Settings{Flow: flow.OriginalConfig(), Train: DefaultSettings().Train, Seed: 1}, "joint", WeightsLast},
	} {
		s, err := RecipeSettings(c.config, c.recipe)
		if err != nil || s != c.want {
			t.Errorf("RecipeSettings(%q, %q) = %+v, %v; want %+v", c.config, c.recipe, s, err, c.want)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s/%s: %v", c.config, c.recipe, err)
		}
		r, err := LookupRecipe(c.config, c.recipe)
		if err != nil || r.Name != c.name || r.Weights != c.weights {
			t.Errorf("LookupRecipe(%q, %q) = %s (%v), %v; want %s (%v)", c.config, c.recipe, r.Name, r.Weights, err, c.name, c.weights)
		}
	}
	if _, err := RecipeSettings("live", "magic"); err == nil || !strings.Contains(err.Error(), "default, geodesic, joint, original") {
		t.Errorf("unknown recipe: %v, want an error listing the names", err)
	}
	if _, err := RecipeSettings("huge", "joint"); err == nil || !strings.Contains(err.Error(), "live, original") {
		t.Errorf("unknown config: %v, want an error listing the names", err)
	}
}
