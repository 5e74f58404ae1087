package gallery

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// PoolSeedStream is the PCG stream of the pool's shuffle (the CLI gallery's image pick uses
// the same, so both show the same images for a seed).
const PoolSeedStream = 0x6a11e7

// PickImages returns the first count indices of a seeded shuffle of total images (fewer when
// total is smaller).
func PickImages(total, count int, seed uint64) []int {
	perm := rand.New(rand.NewPCG(seed, PoolSeedStream)).Perm(total)
	return perm[:min(count, total)]
}

// drawPool returns the pool's samples (Index, Label, Orig) drawn from set.
func drawPool(set *cifar.Set, n int, seed uint64) []Sample {
	rows := PickImages(set.Len(), n, seed)
	pool := make([]Sample, len(rows))
	for i, r := range rows {
		pool[i] = Sample{Index: set.Index[r], Label: set.Labels[r], Orig: set.Images.Row(r)}
	}
	return pool
}

// poolMat stacks the samples' images and labels.
func poolMat(s []Sample) (nn.Mat, []int32) {
	x := nn.NewMat(len(s), cifar.Pixels)
	y := make([]int32, len(s))
	for i := range s {
		copy(x.Row(i), s[i].Orig)
		y[i] = s[i].Label
	}
	return x, y
}

// cnnResult is the classifier task's value.
type cnnResult struct {
	model *cnn.Model
	log   []cnn.Progress
	note  string
	name  string
}

// runJob computes everything for settings s; gen is its number (a newer Apply makes its
// updates void and cancels ctx).
func (e *Engine) runJob(ctx context.Context, gen uint64, s Settings) {
	defer func() {
		if r := recover(); r != nil {
			e.fail(gen, panicError(r))
		}
	}()
	if !e.update(gen, func(st *state) { st.stage, st.progress = "looking for data", 0 }) {
		return
	}
	path, looked, err := FindData(s.Images)
	e.update(gen, func(st *state) { st.looked, st.data = looked, path })
	if err != nil {
		e.fail(gen, err)
		return
	}
	def, err := ParseDefence(s.Defence)
	if err != nil {
		e.fail(gen, err)
		return
	}
	p, err := attackParams(s)
	if err != nil {
		e.fail(gen, err)
		return
	}

	// The tasks this job needs; others (for older settings) are cancelled.
	evalKey, trainKey := "eval:"+path, "train:"+path
	cnnKey := "cnn:default:" + path
	if s.Classifier != "" {
		cnnKey = "cnn:" + fileKey(s.Classifier)
	}
	defKey := "defence:" + def.String()
	if def.Kind == "pca" {
		defKey += "|" + path
	} else {
		defKey = "defence:mflow:" + fileKey(def.Path)
	}
	pool := fmt.Sprintf("%s|%d|%d", path, s.Pool, s.Seed)
	keys := func(k int) blockKeys {
		return blockKeys{plain: fmt.Sprintf("plain|%s|%s|%d", cnnKey, pool, k), adaptive: fmt.Sprintf("adaptive|%s|%s|%s|%d", cnnKey, defKey, pool, k)}
	}
	keep := map[string]bool{evalKey: true, cnnKey: true, defKey: true}
	if s.Classifier == "" || def.Kind == "pca" {
		keep[trainKey] = true
	}
	e.keepTasks(gen, keep)

	loadTask := func(gen uint64, key string, split cifar.Split) *task {
		return e.task(gen, key, func(ctx context.Context, t *task) (any, error) {
			t.report(e, "loading data", 0)
			return cifar.Load(path, split)
		})
	}
	evalT := loadTask(gen, evalKey, cifar.Eval)
	awaitSet := func(ctx context.Context, t *task) (*cifar.Set, error) {
		v, err := await(ctx, t)
		if err != nil {
			return nil, err
		}
		return v.(*cifar.Set), nil
	}
	cnnT := e.task(gen, cnnKey, func(ctx context.Context, t *task) (any, error) {
		if s.Classifier != "" {
			t.report(e, "loading CNN", 0)
			m, err := cnn.Load(s.Classifier)
			if err != nil {
				return nil, err
			}
			m.Workers = 1 // the engine runs one block per core itself, on low-priority threads
			name := "CNN " + filepath.Base(s.Classifier)
			if info, _ := cnn.LoadInfo(s.Classifier); info != nil && info["eval_accuracy"] > 0 {
				name += fmt.Sprintf(" (eval %.3f)", info["eval_accuracy"])
			}
			return &cnnResult{model: m, name: name}, nil
		}
		t.report(e, "loading data", 0)
		train, err := awaitSet(ctx, loadTask(0, trainKey, cifar.Train))
		if err != nil {
			return nil, err
		}
		eval, err := awaitSet(ctx, evalT)
		if err != nil {
			return nil, err
		}
		t.report(e, "loading the default CNN", 0)
		m, log, note, err := DefaultCNN(ctx, e.cache, train, eval, func(p cnn.Progress) {
			t.mu.Lock()
			if p.EpochDone {
				if n := len(t.log); n > 0 && !t.log[n-1].EpochDone {
					t.log = t.log[:n-1]
				}
				t.log = append(t.log, p)
			} else if n := len(t.log); n > 0 && !t.log[n-1].EpochDone {
				t.log[n-1] = p
			} else {
				t.log = append(t.log, p)
			}
			t.stage = fmt.Sprintf("training CNN epoch %d/%d", p.Epoch, p.Epochs)
			t.progress = float64(p.Step) / float64(max(p.Steps, 1))
			t.mu.Unlock()
			e.pokeJob()
		})
		if err != nil {
			return nil, err
		}
		m.Workers = 1
		name := "default CNN"
		if n := len(log); n > 0 && !math.IsNaN(log[n-1].EvalAccuracy) {
			name += fmt.Sprintf(" (eval %.3f)", log[n-1].EvalAccuracy)
		}
		return &cnnResult{model: m, log: log, note: note, name: name}, nil
	})
	defT := e.task(gen, defKey, func(ctx context.Context, t *task) (any, error) {
		t.report(e, "loading the defence", 0)
		train := func() (*cifar.Set, error) { return awaitSet(ctx, loadTask(0, trainKey, cifar.Train)) }
		dir := filepath.Join(e.cache, "pca")
		load := func() (*LoadedDefence, error) {
			return LoadDefence(def, train, dir, func(stage string, done float64) { t.report(e, "fitting PCA ("+stage+")", done) })
		}
		d, err := load()
		if err != nil && def.Kind == "pca" {
			// A cached fit that does not load is set aside and refitted, as the default CNN is.
			if note := setAsideBadFit(dir, train); note != "" {
				t.mu.Lock()
				t.note = note
				t.mu.Unlock()
				d, err = load()
			}
		}
		if err != nil {
			return nil, err
		}
		if f, ok := d.Proj.(*imageflow.Model); ok {
			f.Workers = 1
		}
		return d, nil
	})

	// The pool's images, as soon as the evaluation split is loaded.
	if !e.waitTasks(ctx, gen, evalT) {
		return
	}
	eval, err := awaitSet(ctx, evalT)
	if err != nil {
		e.fail(gen, err)
		return
	}
	if eval.Len() == 0 {
		e.fail(gen, fmt.Errorf("%s: no evaluation images", eval.Source))
		return
	}
	images := drawPool(eval, s.Pool, s.Seed)
	if !e.update(gen, func(st *state) {
		st.classes = eval.Classes
		if !sameImages(st.samples, images) {
			st.samples = append([]Sample(nil), images...)
		}
	}) {
		return
	}

	// The models.
	if !e.waitTasks(ctx, gen, cnnT, defT) {
		return
	}
	cv, err := await(ctx, cnnT)
	if err != nil {
		e.fail(gen, err)
		return
	}
	dv, err := await(ctx, defT)
	if err != nil {
		e.fail(gen, err)
		return
	}
	cr, dl := cv.(*cnnResult), dv.(*LoadedDefence)
	models := Models{CNN: cr.model, Proj: dl.Proj}
	if !e.update(gen, func(st *state) {
		st.models = cr.name + " · " + dl.Name
		_, _, _, defNote := defT.status()
		st.cnnLog, st.message = cr.log, joinNote(cr.note, defNote)
		e.view = &view{set: s, models: models, pool: images, keys: keys, advs: e.advs}
		st.stage, st.progress = fmt.Sprintf("attacking 0/%d", len(images)), 0
	}) {
		return
	}

	if err := e.attackPool(ctx, gen, s, models, images, p, keys); err != nil {
		e.fail(gen, err)
		return
	}
	if !e.update(gen, func(st *state) { st.stage, st.progress = "ready", 1 }) {
		return
	}
	if err := e.sweep(ctx, gen, s, models, images, keys); err != nil {
		e.fail(gen, err)
	}
}

// fileKey names a file by path, size and modification time, so an edited file is reloaded.
func fileKey(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return path
	}
	return fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
}

// sameImages reports whether the samples show the pool's images in its order.
func sameImages(s, pool []Sample) bool {
	if len(s) != len(pool) {
		return false
	}
	for i := range s {
		if s[i].Index != pool[i].Index || s[i].Label != pool[i].Label {
			return false
		}
	}
	return true
}

// waitTasks waits for the tasks, showing the stage of the first unfinished one (and the
// default CNN's training log) as the job's. It returns false when the job is no longer
// current or ctx ended.
func (e *Engine) waitTasks(ctx context.Context, gen uint64, tasks ...*task) bool {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		all := true
		stage, progress := "", 0.0
		var log []cnn.Progress
		for _, t := range tasks {
			ts, tp, tl, _ := t.status()
			if len(tl) > 0 {
				log = tl
			}
			if !t.finished() {
				if all && ts != "" {
					stage, progress = ts, tp
				}
				all = false
			}
		}
		if all {
			return ctx.Err() == nil
		}
		if !e.update(gen, func(st *state) {
			if stage != "" {
				st.stage, st.progress = stage, progress
			}
			if log != nil {
				st.cnnLog = log
			}
		}) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-e.poke:
		case <-tick.C:
		}
	}
}

// attackPool attacks the pool block by block on every core, the blocks holding the
// priority positions first, publishing each block as it is done.
func (e *Engine) attackPool(ctx context.Context, gen uint64, s Settings, m Models, pool []Sample, p attack.Params, keys func(int) blockKeys) error {
	nb := (len(pool) + BlockSize - 1) / BlockSize
	claimed := make([]bool, nb)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < min(workers(), nb); w++ {
		wg.Add(1)
		osprio.Go(func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { first = panicError(r); cancel() })
				}
			}()
			for {
				if !e.yield(ctx) {
					return
				}
				k := e.nextBlock(gen, claimed, len(pool))
				if k < 0 || ctx.Err() != nil {
					return
				}
				r0, r1 := k*BlockSize, min(len(pool), (k+1)*BlockSize)
				out := append([]Sample(nil), pool[r0:r1]...)
				x, y := poolMat(out)
				q := p
				q.Seed = BlockSeed(s.Seed, k)
				if err := computeBlock(ctx, m, x, y, q, true, false, out, e.advs, keys(k)); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				e.update(gen, func(st *state) {
					copy(st.samples[r0:r1], out)
					done := 0
					for i := range st.samples {
						if st.samples[i].Ready {
							done++
						}
					}
					st.stage = fmt.Sprintf("attacking %d/%d", done, len(st.samples))
					st.progress = float64(done) / float64(len(st.samples))
				})
			}
		})
	}
	wg.Wait()
	if first != nil && !errors.Is(first, context.Canceled) {
		return first
	}
	return ctx.Err()
}

// nextBlock claims the next block to attack: the first unclaimed one holding a priority
// position, else the first unclaimed one; −1 when all are claimed or the job is stale.
func (e *Engine) nextBlock(gen uint64, claimed []bool, n int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if gen != e.gen {
		return -1
	}
	for _, i := range e.prio {
		if i >= 0 && i < n && !claimed[i/BlockSize] {
			claimed[i/BlockSize] = true
			return i / BlockSize
		}
	}
	for k, c := range claimed {
		if !c {
			claimed[k] = true
			return k
		}
	}
	return -1
}
