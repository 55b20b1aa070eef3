package testkit

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestPostgresStopStart(t *testing.T) {
	p := StartPostgres(t)
	ping := func() error {
		conn, err := pgx.Connect(context.Background(), p.URL())
		if err != nil {
			return err
		}
		return conn.Close(context.Background())
	}
	if err := ping(); err != nil {
		t.Fatalf("the test user cannot log in: %v", err)
	}
	pid := p.PID()
	p.Stop()
	if Alive(pid) {
		t.Fatalf("PID %d still running after Stop", pid)
	}
	if err := ping(); err == nil {
		t.Fatal("connected to a stopped server")
	}
	p.Start()
	if err := ping(); err != nil {
		t.Fatalf("no connection after Start on port %d: %v", p.Port, err)
	}
	if p.PID() == 0 || p.PID() == pid {
		t.Fatalf("PID after restart is %d (was %d)", p.PID(), pid)
	}
}
