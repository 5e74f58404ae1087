package plane

import (
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// matOf views the points of d as an n×2 matrix (sharing its memory; read only).
func matOf(d *spirals.Dataset) nn.Mat { return nn.Mat{Rows: d.N(), Cols: 2, Data: d.X} }
