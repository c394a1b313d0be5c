package storetest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
)

// CountQueries puts a proxy between the clients of the PostgreSQL URL dsn
// and its server, and returns the URL that goes through it with the count
// of the statements its clients have sent so far: what the database is
// asked to do, whatever the program's code does, read on the wire.
func CountQueries(t testing.TB, dsn string) (string, *atomic.Int64) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	server := u.Host
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(client, server, &n)
		}
	}()
	u.Host = ln.Addr().String()
	return u.String(), &n
}

// relay passes one connection through, counting its statements.
func relay(client net.Conn, server string, n *atomic.Int64) {
	defer client.Close()
	db, err := net.Dial("tcp", server)
	if err != nil {
		return
	}
	defer db.Close()
	go func() {
		io.Copy(client, db)
		client.Close()
	}()
	countStatements(db, client, n)
}

// Protocol codes of the messages a client sends before its startup
// message, which the server answers with a byte.
const (
	sslRequest    = 80877103
	gssEncRequest = 80877104
)

// countStatements copies what a client sends, counting each statement
// it asks to run: a simple query ('Q') or an Execute ('E') of the
// extended protocol.
func countStatements(dst io.Writer, src io.Reader, n *atomic.Int64) {
	r := bufio.NewReader(src)
	head := make([]byte, 8)
	for {
		// Untyped messages: a request for encryption, then the startup.
		if _, err := io.ReadFull(r, head); err != nil {
			return
		}
		size := binary.BigEndian.Uint32(head[:4])
		if _, err := dst.Write(head); err != nil {
			return
		}
		if _, err := io.CopyN(dst, r, int64(size)-8); err != nil {
			return
		}
		if code := binary.BigEndian.Uint32(head[4:]); code != sslRequest && code != gssEncRequest {
			break
		}
	}
	for {
		if _, err := io.ReadFull(r, head[:5]); err != nil {
			return
		}
		if head[0] == 'Q' || head[0] == 'E' {
			n.Add(1)
		}
		if _, err := dst.Write(head[:5]); err != nil {
			return
		}
		if _, err := io.CopyN(dst, r, int64(binary.BigEndian.Uint32(head[1:5]))-4); err != nil {
			return
		}
	}
}
