package main

import (
	"fmt"
)

// benchTeam measures shipping to a local PostgreSQL (the whole path: read
// from SQLite, COPY, commit) and `cco stats --team --by user` as a process
// over a million calls. Both need PostgreSQL installed (the test kit runs a
// private server); without it the benchmarks report the skip.
func benchTeam(b *bench) error {
	bin, err := testBinary(b.root, "./server/team")
	if err != nil {
		return err
	}
	rate := &sample{}
	for i := 0; i < max(1, b.runs/2); i++ {
		v, err := goBench(bin, "^BenchmarkShip$/^copy/batch=5000$", "3x", "rows/s")
		if err != nil {
			return err
		}
		rate.add(v)
	}
	r := newRow("shipping to PostgreSQL", "rows/s", rate, "≥ 20 000 rows/s")
	r.Note = "50 000 calls per run, batches of 5 000, into a local PostgreSQL"
	b.add(r)

	rows := scaled(b, 1_000_000, 20_000)
	ns, err := goBench(bin, "^BenchmarkStatsTeamCLI$", fmt.Sprintf("%dx", b.runs), "ns/op",
		"CCO_BENCH_BIN="+b.cco, fmt.Sprintf("CCO_BENCH_TEAM_ROWS=%d", rows))
	if err != nil {
		return err
	}
	s := &sample{}
	s.add(ns / 1e6)
	r = newRow("cco stats --team --by user", "ms", s, "≤ 200 ms at 1 M rows")
	r.Note = fmt.Sprintf("the whole process, mean of %d runs, %d calls in the team database", b.runs, rows)
	b.add(r)
	return nil
}
