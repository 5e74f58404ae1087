package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// runData dispatches `mflowlab data NAME`: downloads of data sets.
func runData(env *Env, args []string) error {
	const usage = "usage: mflowlab data cifar10 [--dir D] [--url U] [--md5 HEX]   download the official CIFAR-10 archive"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stderr, usage)
		if len(args) == 0 {
			return errors.New("name a data set (cifar10)")
		}
		return nil
	}
	switch args[0] {
	case "cifar10", "cifar-10":
		return runDataCIFAR10(env, args[1:])
	}
	return fmt.Errorf("unknown data set %q (known: cifar10)", args[0])
}

// runDataCIFAR10 downloads (or resumes, or confirms) the official archive and checks that it
// loads.
func runDataCIFAR10(env *Env, args []string) error {
	fs := newFlags(env, "data cifar10")
	def, derr := cifar.DefaultDir()
	dir := fs.String("dir", def, "folder to download into (default: the user's data folder, where the commands look)")
	url := fs.String("url", cifar.URL, "where to download the archive from (a mirror of the official file)")
	sum := fs.String("md5", cifar.MD5, "expected MD5 of the archive")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("no data folder: %v; give --dir", derr)
	}
	var (
		bar     *progress.Bar
		attempt int
		start   int64
	)
	endLine := func() {
		if bar != nil {
			fmt.Fprintln(env.Stderr)
			bar = nil
		}
	}
	d := &cifar.Download{
		Dir: *dir, URL: *url, MD5: *sum,
		Log: func(msg string) {
			endLine()
			fmt.Fprintf(env.Stderr, "cifar10: %s\n", msg)
		},
		Progress: func(p cifar.Progress) {
			if bar == nil || p.Attempt != attempt {
				endLine()
				attempt, start = p.Attempt, p.Start
				bar = progress.New(env.Stderr, "cifar10", float64(max(p.Total-p.Start, 0)))
			}
			total := "?"
			if p.Total >= 0 {
				total = fmt.Sprintf("%.1f", float64(p.Total)/(1<<20))
			}
			rate := 0.0
			if el := bar.Elapsed().Seconds(); el > 0 {
				rate = float64(p.Done-start) / el / (1 << 20)
			}
			bar.Update(float64(p.Done-start), fmt.Sprintf("%.1f/%s MB %.1f MB/s", float64(p.Done)/(1<<20), total, rate))
		},
	}
	fmt.Fprintf(env.Stderr, "cifar10: %s → %s\n", *url, *dir)
	res, err := d.Run(env.Ctx)
	if bar != nil {
		if err == nil {
			bar.Done("done")
		} else {
			endLine()
		}
	}
	if err != nil {
		if env.Ctx.Err() != nil {
			fmt.Fprintf(env.Stderr, "%v\n", err)
			return env.Ctx.Err()
		}
		return err
	}
	set, err := cifar.Load(res.Path, cifar.Eval)
	if err != nil {
		return fmt.Errorf("the archive has the expected MD5 but does not load: %w", err)
	}
	how := "downloaded"
	switch {
	case res.Already:
		how = "already there"
	case res.Resumed:
		how = "downloaded (resumed)"
	}
	fmt.Fprintf(env.Stdout, "%s: %s, %.1f MB, MD5 ok, loads (test batch: %d images; classes %s)\n",
		res.Path, how, float64(res.Size)/(1<<20), set.Len(), strings.Join(set.Classes, " "))
	return nil
}
