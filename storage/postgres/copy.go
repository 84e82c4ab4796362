package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// copyBin builds the rows of a COPY … FROM STDIN (FORMAT binary) stream.
// Staging encodes its rows straight into these bytes: no []any per row, no
// per-value encode plans, and the COPY goroutine only writes bytes.
type copyBin struct{ b []byte }

func (c *copyBin) tuple(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) }
func (c *copyBin) null()            { c.b = binary.BigEndian.AppendUint32(c.b, 0xFFFFFFFF) }

func (c *copyBin) text(s string) {
	s = pgText(s)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
	c.b = append(c.b, s...)
}

// pgText makes s storable as Postgres text (or jsonb), which cannot hold
// NUL: each NUL becomes U+FFFD. A NUL only comes from a file's cell (a
// CSV byte past the first 8 KiB, an xlsx _x0000_ escape), whose row is red
// (invalid_characters) and never applied.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func (c *copyBin) bytes(p []byte) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(p)))
	c.b = append(c.b, p...)
}

func (c *copyBin) int4(n int) {
	c.b = binary.BigEndian.AppendUint32(c.b, 4)
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(int32(n)))
}

func (c *copyBin) bool(v bool) {
	c.b = binary.BigEndian.AppendUint32(c.b, 1)
	if v {
		c.b = append(c.b, 1)
	} else {
		c.b = append(c.b, 0)
	}
}

// jsonb writes a jsonb value: format version 1, then the JSON text.
func (c *copyBin) jsonb(js []byte) {
	c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(js)+1))
	c.b = append(c.b, 1)
	c.b = append(c.b, js...)
}

// copyHeader starts and copyTrailer ends a binary COPY stream.
var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

// copyChunk is encoded tuples for one of copyStreams' statements.
type copyChunk struct {
	stmt int
	data []byte
}

// copyStreams runs, on one connection and in one goroutine, a sequence of
// binary COPY statements fed with chunks of tuples: consecutive chunks of
// the same statement go into one COPY, and a chunk of another statement
// ends it and starts the next. So a single connection interleaves the
// import's rows and its warnings while the file is still being read.
type copyStreams struct {
	stmts []string
	ch    chan copyChunk
	free  chan []byte // recycled chunk buffers
	done  chan struct{}
	err   error
	stash *copyChunk // the chunk that ended the previous COPY
}

// startCopyStreams starts the COPY goroutine on conn. Chunks go in with
// send; close ends the last COPY.
func startCopyStreams(ctx context.Context, conn *pgconn.PgConn, stmts []string) *copyStreams {
	c := &copyStreams{stmts: stmts, ch: make(chan copyChunk, 8), free: make(chan []byte, 12), done: make(chan struct{})}
	go c.run(ctx, conn)
	return c
}

func (c *copyStreams) run(ctx context.Context, conn *pgconn.PgConn) {
	defer close(c.done)
	for {
		first, ok := c.stash, true
		c.stash = nil
		if first == nil {
			var ch copyChunk
			select {
			case ch, ok = <-c.ch:
			case <-ctx.Done():
				c.err = ctx.Err()
				return
			}
			if !ok {
				return
			}
			first = &ch
		}
		r := &chunkReader{c: c, ctx: ctx, stmt: first.stmt, cur: copyHeader, next: first.data}
		if _, err := conn.CopyFrom(ctx, r, c.stmts[first.stmt]); err != nil {
			c.err = err
			return
		}
	}
}

// buffer returns an empty buffer for the next chunk.
func (c *copyStreams) buffer() []byte {
	select {
	case b := <-c.free:
		return b[:0]
	default:
		return make([]byte, 0, copyChunkBytes+4096)
	}
}

// copyChunkBytes is the size at which a chunk is handed to the COPY goroutine.
const copyChunkBytes = 256 << 10

// send hands a chunk to the COPY goroutine.
func (c *copyStreams) send(ctx context.Context, stmt int, data []byte) error {
	select {
	case c.ch <- copyChunk{stmt: stmt, data: data}:
		return nil
	case <-c.done:
		return c.failure()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close ends the last COPY and waits for the goroutine.
func (c *copyStreams) close() error {
	close(c.ch)
	<-c.done
	return c.err
}

func (c *copyStreams) failure() error {
	if c.err != nil {
		return c.err
	}
	return errors.New("copy ended early")
}

// chunkReader is the io.Reader of one COPY: the header, the chunks of its
// statement, then the trailer.
type chunkReader struct {
	c         *copyStreams
	ctx       context.Context
	stmt      int
	cur       []byte // being read
	next      []byte // the first chunk, after the header
	recycle   []byte // the buffer of cur, returned to the pool once read
	trailered bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.recycle != nil {
			select {
			case r.c.free <- r.recycle:
			default:
			}
			r.recycle = nil
		}
		if r.trailered {
			return 0, io.EOF
		}
		if r.next != nil {
			r.cur, r.recycle, r.next = r.next, r.next, nil
			continue
		}
		var ch copyChunk
		ok := true
		select {
		case ch, ok = <-r.c.ch:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		if !ok || ch.stmt != r.stmt {
			if ok {
				r.c.stash = &ch
			}
			r.cur, r.trailered = copyTrailer, true
			continue
		}
		r.cur, r.recycle = ch.data, ch.data
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// copySQL is the COPY statement of table's columns in binary format.
func copySQL(table string, cols []string) string {
	q := "COPY " + table + " ("
	for i, c := range cols {
		if i > 0 {
			q += ", "
		}
		q += c
	}
	return q + ") FROM STDIN (FORMAT binary)"
}

// parseUUID decodes the text form of a UUID.
func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	if !validUUID(s) {
		return u, fmt.Errorf("invalid uuid %q", s)
	}
	j := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		u[j/2] |= unhex(s[i]) << (4 * (1 - j%2))
		j++
	}
	return u, nil
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
