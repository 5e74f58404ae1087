package run

// LiveConfig is the registry's name of the app's architecture (flow.LiveConfig).
const LiveConfig = "live"

// LiveDefault returns the app's live default: the registry's default recipe for the live
// config, RecipeSettings(LiveConfig, DefaultRecipe), with Seed 1. It follows whatever row the
// registry maps the live default to, so the window, `bench --learn` and `record` show a new
// default recipe without a change of their own.
func LiveDefault() Settings {
	s, err := RecipeSettings(LiveConfig, DefaultRecipe)
	if err != nil {
		panic("run: the registry has no live default: " + err.Error()) // a broken registry table
	}
	return s
}
