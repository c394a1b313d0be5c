package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"roster/importer"
)

// Notices between instances (PostgreSQL only): the instance that runs an
// import announces its snapshots through LISTEN/NOTIFY, so that the other
// instances learn of each change at once without reading the database,
// however many watchers they serve.

// noticeLimit is the largest payload sent: PostgreSQL refuses one of
// 8000 bytes or more.
const noticeLimit = 7900

// channelOf names the channel of the store's schema in SQL: two Rosters
// in two schemas of one database do not hear each other. Channel names
// are identifiers, at most 63 bytes.
const channelOf = `left('roster.' || current_schema(), 63)`

// Notice says that an import changed. Status is its new snapshot, or nil
// when it must be read from the database (it ended, or its snapshot was
// too big to send).
type Notice struct {
	ID     string
	Status *importer.Status
}

// Announce tells the instances listening that an import changed. A
// running import's snapshot goes with the notice when it fits, with fewer
// of its warnings if need be (WarningCount still counts them all); an
// import that ended is announced by its id alone, for its end is read
// from the database, which holds the truth of it. SQLite has no other
// instance to tell.
func (s *Store) Announce(ctx context.Context, st importer.Status) error {
	if !s.postgres {
		return nil
	}
	payload := st.ID
	if !st.State.Final() {
		if body, ok := fitNotice(st); ok {
			payload = body
		}
	}
	_, err := s.db.ExecContext(ctx, `SELECT pg_notify(`+channelOf+`, $1)`, payload)
	return err
}

// fitNotice returns the snapshot as a notice's payload, halving its list
// of warnings until it fits.
func fitNotice(st importer.Status) (string, bool) {
	st.WarningCount = max(st.WarningCount, len(st.Warnings))
	for {
		body, err := json.Marshal(st)
		if err != nil {
			return "", false
		}
		if len(body) < noticeLimit {
			return string(body), true
		}
		if len(st.Warnings) == 0 {
			return "", false
		}
		st.Warnings = st.Warnings[:len(st.Warnings)/2]
	}
}

// Listener receives the notices of the store's schema on a connection of
// its own, outside the pool.
type Listener struct {
	conn *pgx.Conn
}

// Listen opens a connection, with the settings of the pool's, that
// listens to the notices of imports.
func (s *Store) Listen(ctx context.Context) (*Listener, error) {
	if !s.postgres {
		return nil, errors.New("listen: only PostgreSQL carries notices")
	}
	cfg, err := s.connConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	var channel string
	err = conn.QueryRow(ctx, `SELECT `+channelOf).Scan(&channel)
	if err == nil {
		_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	}
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &Listener{conn: conn}, nil
}

// connConfig is the configuration of the pool's connections (its URL and
// run-time settings, such as the search path).
func (s *Store) connConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		cfg = sc.Conn().Config().Copy()
		// The copy would hand the notices to the pool's connection.
		cfg.OnNotification = nil
		return nil
	})
	return cfg, err
}

// Next waits for the next notice. An error other than ctx's ending means
// the connection is lost: close the listener and listen again.
func (l *Listener) Next(ctx context.Context) (Notice, error) {
	n, err := l.conn.WaitForNotification(ctx)
	if err != nil {
		return Notice{}, err
	}
	if !strings.HasPrefix(n.Payload, "{") {
		return Notice{ID: n.Payload}, nil // an id alone
	}
	var st importer.Status
	if err := json.Unmarshal([]byte(n.Payload), &st); err != nil {
		// Should another release send what this one cannot read, the
		// fallback's reading of the database still tells of the change.
		return Notice{}, nil
	}
	return Notice{ID: st.ID, Status: &st}, nil
}

// Ping checks that the listener's connection still answers.
func (l *Listener) Ping(ctx context.Context) error { return l.conn.Ping(ctx) }

// Close closes the listener's connection.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.conn.Close(ctx)
}
