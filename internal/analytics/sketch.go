package analytics

import (
	"hash/fnv"
	"math"
	"math/bits"
)

// Distinct visitors are counted with a HyperLogLog sketch of 2^hllP one-byte registers
// (standard error ≈ 1.04/√2048 ≈ 2.3 %; small counts are exact-ish through linear counting).
// Merging two sketches takes each register's maximum, so hours merge into days and ranges in
// any order with the same result: rollups of a bucket equal a recount of its raw events.
const (
	hllP = 11
	hllM = 1 << hllP
)

// hashID is a 64-bit hash of an id, the same on every replica (no per-process seed).
func hashID(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	x := h.Sum64()
	// splitmix64's finaliser spreads FNV's weak low bits over the word.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// sketchAdd records id in regs (len hllM).
func sketchAdd(regs []byte, id string) {
	x := hashID(id)
	idx := x >> (64 - hllP)
	rest := x<<hllP | 1<<(hllP-1) // the guard bit bounds the rank
	rank := byte(bits.LeadingZeros64(rest) + 1)
	if rank > regs[idx] {
		regs[idx] = rank
	}
}

// MergeSketches returns the register-wise maximum of a and b (either may be empty).
func MergeSketches(a, b []byte) []byte {
	out := make([]byte, hllM)
	copy(out, a)
	for i := 0; i < len(b) && i < hllM; i++ {
		if b[i] > out[i] {
			out[i] = b[i]
		}
	}
	return out
}

// sketchCount estimates how many distinct ids regs holds.
func sketchCount(regs []byte) int64 {
	if len(regs) == 0 {
		return 0
	}
	sum, zeros := 0.0, 0
	for i := 0; i < hllM; i++ {
		var r byte
		if i < len(regs) {
			r = regs[i]
		}
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(est))
}

// Latency histograms use logarithmic bins with relative error histAlpha (DDSketch's
// mapping): bin i holds values in (γ^(i-1), γ^i]; a bin is reported as 2γ^i/(γ+1).
// Merging histograms adds their bins' counts.
const histAlpha = 0.02

var histGamma = (1 + histAlpha) / (1 - histAlpha)

// histBin maps a latency in ms to its bin; values below 1 ms share bin 0.
func histBin(ms float64) int {
	if ms <= 1 {
		return 0
	}
	return int(math.Ceil(math.Log(ms) / math.Log(histGamma)))
}

// histValue is the representative value of a bin.
func histValue(bin int) float64 {
	if bin <= 0 {
		return 1
	}
	return 2 * math.Pow(histGamma, float64(bin)) / (histGamma + 1)
}

// quantile returns the q-quantile of a histogram (bin → count), or ok=false when empty.
func quantile(h map[int]int64, q float64) (float64, bool) {
	var n int64
	bins := make([]int, 0, len(h))
	for b, c := range h {
		if c > 0 {
			n += c
			bins = append(bins, b)
		}
	}
	if n == 0 {
		return 0, false
	}
	sortInts(bins)
	rank := q * float64(n-1)
	var cum int64
	for _, b := range bins {
		cum += h[b]
		if float64(cum) > rank {
			return histValue(b), true
		}
	}
	return histValue(bins[len(bins)-1]), true
}

// SketchOf returns a sketch holding one id.
func SketchOf(id string) []byte {
	regs := make([]byte, hllM)
	sketchAdd(regs, id)
	return regs
}

// SketchCount estimates the distinct ids of a sketch.
func SketchCount(regs []byte) int64 { return sketchCount(regs) }
