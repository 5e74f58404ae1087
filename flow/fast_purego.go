//go:build !cgo || purego

package flow

import "github.com/mflowlab/mflowlab/flow/nn"

// fastBackend names the implementation of the evaluation-only coupling step.
const fastBackend = "go"

// forwardFast reports false: without cgo the Go path runs.
func (m *ResMLP) forwardFast(a *nn.Arena, p []float32, x, out nn.Mat) bool { return false }

// splineFast reports false: without cgo the Go path runs.
func (c *Coupling) splineFast(a *nn.Arena, x, params, z nn.Mat, ld []float32, inverse bool, knots []float64) bool {
	return false
}
