//go:build !cgo || purego

package nn

// chainGonum is the pure-Go build's product: gonum's Sgemm (C = A·B, or C += A·B when
// cont), deterministic but not bit-identical to the C kernels' FMA chains.
func chainGonum(m, n, k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, cont bool) {
	if csa == 1 {
		gemmAcc(false, false, m, n, k, a, rsa, b, ldb, c, ldc, cont)
	} else {
		gemmAcc(true, false, m, n, k, a, csa, b, ldb, c, ldc, cont)
	}
}

func convForward(level int, x Images, w *Conv3Weights, y []float32, code []int8, pool bool, s convScratch) {
	convForwardGo(x, w, y, code, pool, s, chainGonum)
}

func convBackward(level int, x Images, w *Conv3Weights, gy []float32, code []int8, pool bool, dx []float32, s convScratch) {
	convBackwardGo(x, w, gy, code, pool, dx, s, chainGonum)
}
