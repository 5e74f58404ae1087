package cifar

import (
	"encoding/json"
	"testing"
)

// FuzzParsePart feeds arbitrary session parts to the parser: it returns settings that
// validate or an error, never a panic.
func FuzzParsePart(f *testing.F) {
	f.Add([]byte(`{"defence":"pca:64","attack":"pgd","eps":0.0314,"alpha":0.0078,"steps":10,"pool":240,"seed":1,"adaptive":true,"filter":{"class":3,"case":"C"},"page":2,"detail":5,"detail_eps":0.05,"selected":5}`))
	f.Add([]byte(`{"attack":"fgsm","eps":0.03,"pool":10,"detail":-1,"selected":-1}`))
	f.Add([]byte(`{"attack":"pgd-l2","eps":1e308,"alpha":-1,"steps":-5,"pool":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, p, err := parsePart(json.RawMessage(b))
		if err != nil {
			return
		}
		if err := s.Attack.Validate(); err != nil {
			t.Fatalf("accepted an attack that does not validate: %v", err)
		}
		if p.Pool < 1 || p.Detail >= p.Pool || p.Filter.Class < -1 || p.Filter.Class > 9 {
			t.Fatalf("accepted an out-of-range part %+v", p)
		}
	})
}
