package server

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anthropics/cco/server/prices"
)

// cachedResponse is a complete, successful upstream answer.
type cachedResponse struct {
	status int
	header storedHeader
	body   []byte
	stream bool
	model  string
	usage  prices.Usage
}

// size is what the entry counts against cache_size: the bytes of the
// stored response, headers included.
func (c *cachedResponse) size() int64 {
	n := int64(len(c.body))
	for i := 0; i+1 < len(c.header); i += 2 {
		n += int64(len(c.header[i]) + len(c.header[i+1]) + 4)
	}
	return n
}

type cacheEntry struct {
	key    string
	resp   *cachedResponse
	size   int64
	stored time.Time
}

// responseCache is an LRU cache bounded in bytes, whose entries also expire
// ttl after they were stored. Limits can change at run time (reload).
type responseCache struct {
	mu       sync.Mutex
	maxBytes int64
	ttl      time.Duration
	bytes    int64
	ll       *list.List // front = most recently used
	items    map[string]*list.Element
	now      func() time.Time

	hits, misses, evictions, expired int64
}

func newResponseCache(maxBytes int64, ttl time.Duration) *responseCache {
	return &responseCache{maxBytes: maxBytes, ttl: ttl, ll: list.New(), items: map[string]*list.Element{}, now: time.Now}
}

// get returns the live entry for key. Hits and misses are counted by the
// caller, which knows whether a shared upstream call answered instead.
func (c *responseCache) get(key string) (*cachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if ok && c.now().Sub(el.Value.(*cacheEntry).stored) >= c.ttl {
		c.remove(el)
		c.expired++
		ok = false
	}
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry).resp, true
}

// count records one answer served without (hit) or with (miss) its own
// upstream call.
func (c *responseCache) count(hit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hit {
		c.hits++
	} else {
		c.misses++
	}
}

// exact returns b with no spare capacity, copying only when the spare
// would be a noticeable share of what the cache counts.
func exact(b []byte) []byte {
	if cap(b)-len(b) <= len(b)/16 {
		return b[:len(b):len(b)]
	}
	return bytes.Clone(b)
}

// storedHeader is a cached answer's headers as flat key, value pairs. A
// cache holds many small answers, and an http.Header map costs several
// hundred bytes each where the pairs cost a slice.
type storedHeader []string

// storable is the part of an answer's headers worth replaying: not the
// hop-by-hop ones, and not Date or cookies, which belong to the moment they
// were sent.
func storable(upstream http.Header) storedHeader {
	var out storedHeader
	endToEnd(upstream, func(k, canonical string, vs []string) {
		if canonical == "Date" || canonical == "Set-Cookie" {
			return
		}
		for _, v := range vs {
			out = append(out, k, v)
		}
	})
	return slices.Clip(out)
}

// writeTo adds the stored headers to dst.
func (sh storedHeader) writeTo(dst http.Header) {
	for i := 0; i+1 < len(sh); i += 2 {
		dst[sh[i]] = append(dst[sh[i]], sh[i+1])
	}
}

// http is the stored headers as a new http.Header.
func (sh storedHeader) http() http.Header {
	h := make(http.Header, len(sh)/2)
	sh.writeTo(h)
	return h
}

// put stores resp under key, evicting the least recently used entries to
// stay within maxBytes. An answer larger than the whole cache is not kept.
func (c *responseCache) put(key string, resp *cachedResponse) bool {
	size := resp.size() + int64(len(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.maxBytes {
		return false
	}
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, resp: resp, size: size, stored: c.now()})
	c.bytes += size
	c.shrink()
	return true
}

func (c *responseCache) shrink() {
	for c.bytes > c.maxBytes {
		c.remove(c.ll.Back())
		c.evictions++
	}
}

func (c *responseCache) remove(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// setLimits applies a new size and TTL at once (reload).
func (c *responseCache) setLimits(maxBytes int64, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxBytes, c.ttl = maxBytes, ttl
	c.shrink()
	c.sweepLocked()
}

// sweep drops expired entries so that they stop holding memory.
func (c *responseCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked()
}

func (c *responseCache) sweepLocked() {
	now := c.now()
	for el := c.ll.Back(); el != nil; {
		prev := el.Prev()
		if now.Sub(el.Value.(*cacheEntry).stored) >= c.ttl {
			c.remove(el)
			c.expired++
		}
		el = prev
	}
}

// CacheStats are the cache's figures, as /api/status shows them.
type CacheStats struct {
	Entries   int   `json:"entries"`
	Bytes     int64 `json:"bytes"`
	MaxBytes  int64 `json:"max_bytes"`
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Evictions int64 `json:"evictions"`
	Expired   int64 `json:"expired"`
	TTLS      int64 `json:"ttl_s"`
}

func (c *responseCache) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: len(c.items), Bytes: c.bytes, MaxBytes: c.maxBytes, Hits: c.hits, Misses: c.misses,
		Evictions: c.evictions, Expired: c.expired, TTLS: int64(c.ttl / time.Second)}
}

// cacheKey identifies a request for the cache: method, path and query, the
// API version and beta headers, a hash of the caller's credential (answers
// are never shared between keys) and the exact body.
func cacheKey(r *http.Request, body []byte) string {
	cred := sha256.New()
	field(cred, r.Header.Get("X-Api-Key"))
	field(cred, r.Header.Get("Authorization"))
	h := sha256.New()
	field(h, r.Method)
	field(h, r.URL.RequestURI())
	field(h, strings.Join(r.Header.Values("Anthropic-Version"), ","))
	field(h, strings.Join(r.Header.Values("Anthropic-Beta"), ","))
	field(h, string(cred.Sum(nil)))
	field(h, string(body))
	return hex.EncodeToString(h.Sum(nil))
}

// field writes s length-prefixed, so that no two field lists hash alike.
func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
