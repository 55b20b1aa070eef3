//go:build !unix

package testkit

import "errors"

// On Windows findPostgresBin finds no /usr/lib/postgresql, so StartPostgres
// skips before any of these is used.

func (p *Postgres) dropRoot() error { return nil }

func (p *Postgres) run(string, ...string) ([]byte, error) {
	return nil, errors.New("test PostgreSQL servers run on Unix only")
}
