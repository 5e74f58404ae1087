package run

import "testing"

func TestLiveDefaultFollowsTheRegistry(t *testing.T) {
	want, err := RecipeSettings(LiveConfig, DefaultRecipe)
	if err != nil {
		t.Fatal(err)
	}
	if got := LiveDefault(); got != want {
		t.Fatalf("LiveDefault() = %+v, want the registry's %+v", got, want)
	}
	if err := LiveDefault().Validate(); err != nil {
		t.Fatal(err)
	}
}
