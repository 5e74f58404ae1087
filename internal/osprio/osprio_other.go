//go:build !linux

package osprio

func lower() {}
