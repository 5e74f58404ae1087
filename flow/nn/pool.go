package nn

import "fmt"

// ReLU writes max(x, 0) into y (same length; y may be x).
func ReLU(y, x []float32) {
	if len(y) != len(x) {
		panic(fmt.Sprintf("nn: relu of %d values into %d", len(x), len(y)))
	}
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReLUBackward writes gy where the ReLU's output y is positive, 0 elsewhere, into gx (gx
// may be gy).
func ReLUBackward(gx, gy, y []float32) {
	if len(gx) != len(gy) || len(y) != len(gy) {
		panic(fmt.Sprintf("nn: relu backward on %d, %d, %d values", len(gx), len(gy), len(y)))
	}
	for i, v := range gy {
		if y[i] > 0 {
			gx[i] = v
		} else {
			gx[i] = 0
		}
	}
}

// MaxPool2 writes the 2×2 max-pooling with stride 2 of x into y (N×H/2×W/2×C; H and W
// even). When arg is not nil (len of y) it records where each maximum came from, 0…3 in
// raster order within the window: the first maximum, as PyTorch's max_pool2d picks it.
func MaxPool2(y Images, arg []int8, x Images) {
	if x.H%2 != 0 || x.W%2 != 0 {
		panic(fmt.Sprintf("nn: maxpool2 of %d×%d images (need even sizes)", x.H, x.W))
	}
	x.check("maxpool2", "input", x.N, x.H, x.W, x.C)
	y.check("maxpool2", "output", x.N, x.H/2, x.W/2, x.C)
	if arg != nil && len(arg) != len(y.Data) {
		panic(fmt.Sprintf("nn: maxpool2: %d argmax entries for %d outputs", len(arg), len(y.Data)))
	}
	C, oh, ow := x.C, x.H/2, x.W/2
	for b := 0; b < x.N; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				p00 := ((b*x.H+2*oy)*x.W + 2*ox) * C
				src := [4]int{p00, p00 + C, p00 + x.W*C, p00 + x.W*C + C}
				o := ((b*oh+oy)*ow + ox) * C
				for c := 0; c < C; c++ {
					best, k := x.Data[src[0]+c], int8(0)
					for j := 1; j < 4; j++ {
						if v := x.Data[src[j]+c]; v > best {
							best, k = v, int8(j)
						}
					}
					y.Data[o+c] = best
					if arg != nil {
						arg[o+c] = k
					}
				}
			}
		}
	}
}

// MaxPool2Backward writes into gx (N×H×W×C, overwritten) the gradient of MaxPool2: each
// pooled gradient goes to the pixel arg names, the other three get 0.
func MaxPool2Backward(gx, gy Images, arg []int8) {
	gy.check("maxpool2 backward", "output gradient", gx.N, gx.H/2, gx.W/2, gx.C)
	gx.check("maxpool2 backward", "input gradient", gx.N, gx.H, gx.W, gx.C)
	if len(arg) != len(gy.Data) || gx.H%2 != 0 || gx.W%2 != 0 {
		panic(fmt.Sprintf("nn: maxpool2 backward: %d argmax entries for %d outputs of %d×%d images", len(arg), len(gy.Data), gx.H, gx.W))
	}
	clear(gx.Data)
	C, oh, ow := gx.C, gx.H/2, gx.W/2
	for b := 0; b < gx.N; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				p00 := ((b*gx.H+2*oy)*gx.W + 2*ox) * C
				src := [4]int{p00, p00 + C, p00 + gx.W*C, p00 + gx.W*C + C}
				o := ((b*oh+oy)*ow + ox) * C
				for c := 0; c < C; c++ {
					if k := arg[o+c]; k >= 0 && k < 4 {
						gx.Data[src[k]+c] = gy.Data[o+c]
					}
				}
			}
		}
	}
}
