//go:build !linux

package cli

import (
	"time"

	"github.com/mflowlab/mflowlab/flow/cnn"
)

const threadClockName = "wall"

// processCPU is unavailable here: 0.
func processCPU() time.Duration { return 0 }

func benchLayersCPU(iters int, seed uint64) []cnn.LayerTime { return cnn.BenchLayers(iters, seed, nil) }
