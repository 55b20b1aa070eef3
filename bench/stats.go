package main

import (
	"fmt"
	"sort"
	"time"
)

// sample is one measured quantity over several runs.
type sample struct {
	vals []float64
}

func (s *sample) add(v float64) { s.vals = append(s.vals, v) }

func (s *sample) sorted() []float64 {
	c := append([]float64(nil), s.vals...)
	sort.Float64s(c)
	return c
}

func (s *sample) median() float64 { return quantile(s.sorted(), 0.5) }
func (s *sample) min() float64    { return quantile(s.sorted(), 0) }
func (s *sample) max() float64    { return quantile(s.sorted(), 1) }

// quantile of sorted values, nearest rank; 0 for no values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// interleave runs a and b alternately (A B A B ...) so that drift in the
// machine's load hits both alike; each returns one measurement.
func interleave(runs int, a, b func() (float64, error)) (sa, sb *sample, err error) {
	sa, sb = &sample{}, &sample{}
	for i := 0; i < runs; i++ {
		v, err := a()
		if err != nil {
			return nil, nil, err
		}
		sa.add(v)
		if b == nil {
			continue
		}
		v, err = b()
		if err != nil {
			return nil, nil, fmt.Errorf("baseline: %w", err)
		}
		sb.add(v)
	}
	return sa, sb, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timed measures f's wall time in milliseconds.
func timed(f func() error) (float64, error) {
	t := time.Now()
	err := f()
	return ms(time.Since(t)), err
}
