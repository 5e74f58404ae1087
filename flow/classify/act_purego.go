//go:build !cgo || purego

package classify

// activationBackend names the SiLU implementation compiled into this binary.
const activationBackend = "go"

func silu(h, sig, z []float32)         { siluGo(h, sig, z) }
func siluInPlace(z []float32)          { siluInPlaceGo(z) }
func siluBackward(g, z, sig []float32) { siluBackwardGo(g, z, sig) }

// siluVariant runs the Go kernels, the only variant (0) in this build. For tests.
func siluVariant(v int, h, sig, z, g []float32) bool {
	if v != 0 {
		return false
	}
	siluGo(h, sig, z)
	siluBackwardGo(g, z, sig)
	return true
}
