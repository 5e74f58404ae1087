// Package plane rasterises the Two Spirals "plane" — decision regions,
// data points, learned manifold, warped latent grid, projection
// trajectories and attack probes — into an *image.RGBA on the CPU.
//
// It has no window or GPU dependency, so the same code draws the app's
// main view, screenshots, recorded animations and golden-image tests.
// A Viewport maps data coordinates to pixels, a Style holds the colours
// and widths, and a Renderer owns the scratch buffers that make repeated
// frames allocation-free. A Renderer is not safe for concurrent use; give
// each goroutine its own.
//
// Pixel coordinates are continuous: pixel (i, j) covers [i, i+1)×[j, j+1),
// its centre is (i+0.5, j+0.5), and the y axis points down on screen while
// the data y axis points up.
package plane
