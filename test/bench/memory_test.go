package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestCacheMemory measures what the engine's result cache holds (MEMORY=n
// verifications, 10,000 in `make bench`): heap in use and RSS after a GC,
// before the verifications, after n distinct ones (the default max_entries is
// 10,000), and after n/5 more, which the bound must absorb. It prints one
// RESULT line that test/bench's memory section reads.
func TestCacheMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MEMORY"))
	if n == 0 {
		t.Skip("MEMORY=<verifications> measures the cache's memory")
	}
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	extra := n / 5
	images := make([]string, 0, n+extra)
	for i := range n + extra {
		d := testutil.PushImage(t, host, fmt.Sprintf("mem/app%05d", i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
		images = append(images, d.String())
	}
	cfg, err := engine.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Registry.Insecure = []string{host}
	cfg.MaxConcurrency = 8
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	verifyAll := func(imgs []string) {
		for start := 0; start < len(imgs); start += 100 {
			reqs := []engine.Request{}
			for _, img := range imgs[start:min(start+100, len(imgs))] {
				reqs = append(reqs, engine.Request{Image: img, Options: opts, Kind: verify.Signatures})
			}
			for _, r := range eng.VerifyBatch(context.Background(), reqs) {
				if !r.Verified {
					t.Fatalf("%s: %+v", r.Image, r.Errors)
				}
			}
		}
	}
	before := memNow()
	verifyAll(images[:n])
	full := memNow()
	verifyAll(images[n:])
	past := memNow()
	// Cached: the first images were pushed out, the last are hits.
	hits := eng.VerifyBatch(context.Background(), []engine.Request{{Image: images[len(images)-1], Options: opts, Kind: verify.Signatures}})
	if !hits[0].Verified {
		t.Fatal("the last image is not verified")
	}
	runtime.KeepAlive(eng)
	fmt.Printf("RESULT %d %d %d %d %d %d %d %d\n", n, extra, before.heap, full.heap, past.heap, before.rss, full.rss, past.rss)
}

type mem struct{ heap, rss uint64 }

func memNow() mem {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return mem{heap: ms.HeapInuse, rss: rss()}
}

// rss is the process's resident set size (Linux).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
