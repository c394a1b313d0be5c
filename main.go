// Command roster serves the Roster web app, and writes sample workbooks
// and runs imports from the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"roster/handlers"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/workbooks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "roster:", err)
		}
		os.Exit(1)
	}
}

// errReported ends the program unsuccessfully after it has already told
// the user why.
var errReported = errors.New("reported")

const defaultDB = "data/importer.db"

// command is one of the program's commands, with the line that
// describes it in the help.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands lists the commands, in the order the help shows them.
var commands []command

func init() {
	commands = []command{
		{"serve", "serve the web app (the command run when none is given)", serve},
		{"sample", "write a realistic workbook to try Roster with", func(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
			return sample(args, stdout, stderr)
		}},
		{"import", "import one workbook without the web server", importFile},
		{"help", "list the commands", func(_ context.Context, _ []string, _ func(string) string, stdout, _ io.Writer) error {
			usage(stdout)
			return nil
		}},
	}
}

// usage lists the commands, one line each.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Roster imports the company's staff workbook into its database.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: roster [COMMAND] [FLAGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "roster COMMAND --help" for the flags of a command.`)
}

// run is the whole program: tests call it as main would. Asking for help
// (help, --help, -h, or a command's --help) is no failure.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name := "serve"
	switch {
	case len(args) > 0 && (args[0] == "--help" || args[0] == "-help" || args[0] == "-h"):
		name, args = "help", args[1:]
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(ctx, args, getenv, stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil // the flags were listed, as asked
			}
			return err
		}
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n", name)
	usage(stderr)
	return errReported
}

// parse parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// serve runs the web server until ctx ends. A stop that comes while it
// is still starting (Ctrl-C as the database is opened) is a clean stop
// too, whichever step of the start it interrupted.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := startAndServe(ctx, args, getenv, stdout, stderr)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func startAndServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", orDefault(getenv("ADDR"), "localhost:8080"), "address to listen on (env ADDR)")
	dsn := fs.String("db", orDefault(getenv("DATABASE_URL"), defaultDB), "SQLite file or postgres:// URL (env DATABASE_URL)")
	maxUpload := fs.String("max-upload", "256MiB", "largest workbook accepted: bytes, or a number with KiB, MiB, GiB, KB, MB or GB")
	keepFailed := fs.Duration("keep-failed", 7*24*time.Hour, "how long a failed import's upload is kept for its problems workbook")
	uploads := fs.String("uploads", "", "directory for uploads being imported (default: uploads/ beside a SQLite database, else data/uploads)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	limit, err := parseSize(*maxUpload)
	if err != nil {
		return fmt.Errorf("--max-upload: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if getenv("GOMEMLIMIT") == "" {
		// The contract keeps the server under 1 GiB whatever is uploaded;
		// the reader bounds what it holds live, and this keeps the
		// collector from letting the heap grow to twice that first.
		debug.SetMemoryLimit(768 << 20)
	}

	st, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	dir := *uploads
	if dir == "" {
		dir = uploadDir(*dsn)
	}
	imports, err := newQueue(st, dir, *keepFailed, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// Event streams and running imports hang off this context, so that a
	// shutdown ends them instead of waiting for them.
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- imports.Run(base) }()

	srv := &http.Server{
		Handler: handlers.NewServer(log, handlers.Config{MaxUpload: limit, UploadDir: dir},
			imports, workbooks.NewDownloads(st, imports), st.Ping),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: it would cut event streams and big uploads.
		// Each stream sets its own write deadline.
		BaseContext: func(net.Listener) context.Context { return base },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "Roster is serving on http://%s (database %s)\n", ln.Addr(), redact(*dsn))
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		cancel()
		return err
	case <-ctx.Done():
	}
	cancel()
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	err = srv.Shutdown(shutdownCtx)
	if rerr := <-runDone; err == nil {
		err = rerr
	}
	return err
}

// importQueue is what the server needs of the queue of imports.
type importQueue interface {
	handlers.Imports
	workbooks.Uploads
	Run(ctx context.Context) error
}

// newQueue is the queue of one process on SQLite, or this instance's part
// of the queue that several share on PostgreSQL.
func newQueue(st *store.Store, dir string, keepFailed time.Duration, log *slog.Logger) (importQueue, error) {
	if st.Postgres() {
		q, err := queue.NewShared(st, dir, log)
		if err == nil {
			q.KeepFailed = keepFailed
		}
		return q, err
	}
	q, err := queue.NewLocal(st, dir, log)
	if err == nil {
		q.KeepFailed = keepFailed
	}
	return q, err
}

// parseSize reads a size as an operator writes it: bytes, or a number
// with KiB, MiB, GiB, KB, MB or GB.
func parseSize(s string) (int64, error) {
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > 1<<62 {
		return 0, fmt.Errorf("%q is not a size; write bytes or a number with KiB, MiB, GiB, KB, MB or GB", s)
	}
	return int64(n), nil
}

// uploadDir is where uploads are kept: beside a SQLite database, or in
// data/uploads for PostgreSQL.
func uploadDir(dsn string) string {
	if strings.Contains(dsn, "://") {
		return filepath.Join("data", "uploads")
	}
	return filepath.Join(filepath.Dir(dsn), "uploads")
}

// redact hides a password in a database URL.
func redact(dsn string) string {
	if at := strings.LastIndex(dsn, "@"); at > 0 {
		if scheme := strings.Index(dsn, "://"); scheme > 0 && scheme < at {
			return dsn[:scheme+3] + "…" + dsn[at:]
		}
	}
	return dsn
}
