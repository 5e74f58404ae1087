package gallery

import (
	"container/list"
	"sync"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// advCacheBytes bounds the adversarial images the engine keeps for reuse (64 MiB: about 20
// settings' worth of a 240-image pool, both attacks).
const advCacheBytes = 64 << 20

// advCache keeps recently computed adversarial blocks, least recently used dropped first, so
// that going back to earlier settings, or changing only the defence (the non-adaptive attack
// does not see it), does not attack again. Stored matrices are never modified.
type advCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // *advEntry, most recently used first
	items map[string]*list.Element
}

type advEntry struct {
	key string
	adv nn.Mat
}

func newAdvCache(maxBytes int) *advCache {
	return &advCache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// get returns the block stored under key.
func (c *advCache) get(key string) (nn.Mat, bool) {
	if c == nil || key == "" {
		return nn.Mat{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nn.Mat{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*advEntry).adv, true
}

// put stores adv under key, dropping the least recently used blocks beyond the budget.
func (c *advCache) put(key string, adv nn.Mat) {
	if c == nil || key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&advEntry{key: key, adv: adv})
	c.size += 4 * len(adv.Data)
	for c.size > c.max && c.order.Len() > 1 {
		el := c.order.Back()
		e := el.Value.(*advEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.size -= 4 * len(e.adv.Data)
	}
}
