// Package charts draws the app's charts — the training-loss history and the stacked A–D
// case frequencies of an ε sweep — with gonum/plot into an *image.RGBA.
//
// It has no window dependency: the app paints the returned image as one picture, and
// screenshots, recordings and the sweep command's PNG reuse the same drawing. Sizes are
// given in pixels and a DPI; fonts and line widths are in points, so a chart keeps its
// proportions from a 320×200 side panel at 96 dpi to a 1200×750 slide at 150 dpi.
//
// A Renderer keeps its image and drawing context between calls, so redrawing a chart at an
// unchanged size allocates no new canvas. A Renderer is not safe for concurrent use; give
// each goroutine its own. LossChart and CasesChart are one-shot conveniences that return a
// fresh image.
package charts
