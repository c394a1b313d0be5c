package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os/user"
	"strings"

	"roster/access"
	"roster/importer"
	"roster/importer/store"
)

// userCommand runs `user add|list|remove|token` against the database: the
// operator of the machine needs no sign-in.
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func() error {
		fmt.Fprintln(stderr, "usage: roster user add NAME --role ROLE (the password is one line on standard input)\n"+
			"       roster user list | user remove NAME | user token NAME [--label LABEL]   [--db PATH_OR_URL]")
		return errReported
	}
	if len(args) == 0 {
		return usage()
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", orDefault(getenv("DATABASE_URL"), defaultDB), "SQLite file or postgres:// URL (env DATABASE_URL)")
	roleName := fs.String("role", string(access.Viewer), "viewer, importer or admin (user add)")
	label := fs.String("label", "made on the command line", "what the token is for, as the account page lists it (user token)")
	names, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	wantNames := map[string]int{"add": 1, "list": 0, "remove": 1, "token": 1}
	if n, ok := wantNames[sub]; !ok || len(names) != n {
		return usage()
	}
	st, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	people := access.NewPeople(st)
	// Said in the user's words: what was wrong, never a secret.
	report := func(err error) error {
		if err == nil {
			return nil
		}
		if importer.ErrorCode(err) != importer.CodeInternal {
			fmt.Fprintln(stderr, importer.ErrorMessage(err))
			return errReported
		}
		return err
	}
	switch sub {
	case "add":
		role, err := access.ParseRole(*roleName)
		if err != nil {
			return report(err)
		}
		password, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(password, "\r\n")
		if err := report(people.AddUser(ctx, names[0], role, password)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s, %s\n", names[0], role)
	case "list":
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(stdout, "%s\t%s\n", u.Name, u.Role)
		}
	case "remove":
		if err := report(st.RemoveUser(ctx, names[0])); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s, signed out everywhere\n", names[0])
	case "token":
		if _, _, err := st.PasswordHash(ctx, names[0]); err != nil {
			return report(err)
		}
		if err := report(access.CheckName(*label)); err != nil {
			return err
		}
		// Printed here only: the account page lists it by its label and
		// can revoke it, but never shows it.
		token, err := people.NewToken(ctx, names[0], *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
	}
	return nil
}

// setupToken is the one-time token of the setup page while the database
// has no administrator, new at each start; "" once there is one.
func setupToken(ctx context.Context, st *store.Store) (string, error) {
	has, err := st.HasAdmin(ctx)
	if err != nil || has {
		return "", err
	}
	return rand.Text(), nil
}

// parseCIDRs reads CIDR[,CIDR…]; a bare address is the one address.
func parseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR range", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// osUser is who runs a command-line import, as its status records it.
func osUser(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return orDefault(getenv("USER"), "command line")
}
