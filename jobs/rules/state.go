package rules

import (
	"hash/maphash"

	"intake/jobs/sheet"
)

// hasher turns values into the 64-bit fingerprints the cross-row state keeps
// instead of strings. The seed is made per Validator, so fingerprints mean
// nothing outside one validation run. Blank is 0; a value never is.
type hasher struct{ seed maphash.Seed }

func (h hasher) sum(s string) uint64 {
	if s == "" {
		return 0
	}
	if x := maphash.String(h.seed, s); x != 0 {
		return x
	}
	return 1
}

// Row classes, as counted by the summary.
const (
	classOK uint32 = iota
	classWarning
	classError
)

// rowClass packs a row number with its class; rows fit in 30 bits.
func rowClass(row int, class uint32) uint32 { return uint32(row)<<2 | class }

// customer flags.
const (
	custExists uint8 = 1 << iota // the customer is stored
	custFed                      // a non-red row of the customer was seen
)

// customer is the cross-row state of one customer code: fingerprints and
// row numbers, never rows. It holds no pointer (its addresses, contacts and
// rare extras are indexes into the state's arenas), so that the garbage
// collector never scans the state, whatever its size.
type customer struct {
	key             uint64 // fingerprint of the folded code
	name, vat       uint64 // fingerprints of the winning values; 0 = none yet
	nameRow, vatRow int32  // the row that set the winning value
	first           uint32 // rowClass of the first non-red row
	addrDefRow      int32  // first row marking a default address; 0 = none
	contactDefRow   int32  // first row marking a default contact; 0 = none
	addrs, contacts uint32 // the last entry added, 1-based; 0 = none (entries link to the one before)
	more            uint32 // 1-based index into state.more; 0 for most customers
	stored          uint32 // 1-based index into state.stored; 0 unless the customer is stored and fed
	flags           uint8
}

// customerMore holds what few customers need.
type customerMore struct {
	// pending lists, as rowClass, the rows without a name seen while no
	// non-red row had named the customer; it is dropped once one does.
	pending []uint32
	// addrIdx and contactIdx index the entries (1-based) of customers with
	// many addresses or contacts, which a list walk would make quadratic.
	addrIdx, contactIdx map[uint64]uint32
}

// storedState is what customer_exists needs about a stored customer: the
// stored spelling of its code, old and new values of the customer fields the
// file changes, and the default address and contact before and after. Like
// customer it holds no pointer: its strings are in the state's byte arena,
// so an update file of a million stored customers is neither held as a
// million small strings nor scanned by each collection.
type storedState struct {
	code                strRef
	oldName, newName    strRef
	oldVAT, newVAT      strRef
	addrDef, contactDef defaultTrack
	flags               uint8
}

// storedState flags.
const (
	nameChanged uint8 = 1 << iota
	vatChanged
	hasAddrs   // the stored customer has addresses
	hasContact // the stored customer has contacts
)

// defaultTrack follows which address (or contact) is the default.
type defaultTrack struct {
	storedKey uint64 // fingerprint of the folded stored default; 0 = none
	markedKey uint64 // the last default marked in the file; 0 = none
	firstKey  uint64 // the first one the file adds when none is stored
	stored    strRef
	marked    strRef
	first     strRef
}

// final returns the default after the import: the last one marked, else the
// stored one, else the first one added (SPEC §4: a customer that ends with
// addresses but no default gets its first one).
func (d *defaultTrack) final() (uint64, strRef) {
	switch {
	case d.markedKey != 0:
		return d.markedKey, d.marked
	case d.storedKey != 0:
		return d.storedKey, d.stored
	}
	return d.firstKey, d.first
}

// strRef is a string kept in a strArena.
type strRef struct{ chunk, off, n uint32 }

// strChunk is the size of a strArena chunk; a longer string gets a chunk of
// its own.
const strChunk = 1 << 20

// strArena is an append-only store of strings in large byte chunks: one
// allocation per megabyte, none per string, nothing to scan.
type strArena struct {
	chunks [][]byte
}

// put stores str and returns its reference; "" needs no space.
func (a *strArena) put(str string) strRef {
	if str == "" {
		return strRef{}
	}
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < len(str) {
		a.chunks = append(a.chunks, make([]byte, 0, max(strChunk, len(str))))
		n++
	}
	c := &a.chunks[n-1]
	r := strRef{chunk: uint32(n - 1), off: uint32(len(*c)), n: uint32(len(str))}
	*c = append(*c, str...)
	return r
}

// get returns a copy of the string of r.
func (a *strArena) get(r strRef) string {
	if r.n == 0 {
		return ""
	}
	return string(a.chunks[r.chunk][r.off : r.off+r.n])
}

// set points *r at str, storing str only when it differs from what *r holds
// (a value repeated row after row takes its space once).
func (a *strArena) set(r *strRef, str string) {
	if int(r.n) == len(str) && (r.n == 0 || string(a.chunks[r.chunk][r.off:r.off+r.n]) == str) {
		return
	}
	*r = a.put(str)
}

// entry flags.
const (
	entryStored  uint8 = 1 << iota // the address or contact is stored
	entryUpdated                   // the file's values differ from the stored ones
)

// entry is one address code or contact name of a customer: the fingerprint
// of its folded identity and, per detail field (addressDetails,
// contactDetails), the fingerprint of the value that wins so far. Per-field
// fingerprints are what let a blank never count as a difference. The row
// that gave each winning value is the entry's first row until a later row
// changes a value; only then are the rows kept apart (rows, an index into
// the kind's arena of rows).
type entry[V values, R valueRows] struct {
	key   uint64
	val   V
	row   int32  // first row of this address or contact
	prev  uint32 // the customer's entry added before, 1-based; 0 = none
	rows  uint32 // 1-based index into kind.rows; 0: every value is from row
	flags uint8
}

// values are an entry's detail fingerprints, valueRows the rows that gave
// them: six for an address, two for a contact.
type (
	values    interface{ [6]uint64 | [2]uint64 }
	valueRows interface{ [6]int32 | [2]int32 }
)

// kind holds the entries of one kind (addresses or contacts) of every
// customer: each customer's linked from the newest, by index.
type kind[V values, R valueRows] struct {
	entries arena[entry[V, R]]
	rows    arena[R]
}

// find returns the entry of key among those linked from head (idx, when
// not nil, indexes them), or nil.
func (k *kind[V, R]) find(head uint32, idx map[uint64]uint32, key uint64) *entry[V, R] {
	if idx != nil {
		if i, ok := idx[key]; ok {
			return k.entries.at(i)
		}
		return nil
	}
	for i := head; i != 0; {
		e := k.entries.at(i)
		if e.key == key {
			return e
		}
		i = e.prev
	}
	return nil
}

// count returns the number of entries linked from head.
func (k *kind[V, R]) count(head uint32) int {
	n := 0
	for i := head; i != 0; i = k.entries.at(i).prev {
		n++
	}
	return n
}

// changed counts, among the entries linked from head of a stored customer,
// the ones the file adds and the stored ones whose details it changes.
func (k *kind[V, R]) changed(head uint32) (added, updated int) {
	for i := head; i != 0; {
		e := k.entries.at(i)
		switch {
		case e.flags&entryStored == 0:
			added++
		case e.flags&entryUpdated != 0:
			updated++
		}
		i = e.prev
	}
	return added, updated
}

// index maps the keys of the entries linked from head to their indexes.
func (k *kind[V, R]) index(head uint32, n int) map[uint64]uint32 {
	idx := make(map[uint64]uint32, 2*n)
	for i := head; i != 0; i = k.entries.at(i).prev {
		idx[k.entries.at(i).key] = i
	}
	return idx
}

// rowOf returns the row that gave e's winning value of detail j (0: none).
func (k *kind[V, R]) rowOf(e *entry[V, R], j int) int32 {
	if e.rows != 0 {
		return (*k.rows.at(e.rows))[j]
	}
	if e.val[j] != 0 {
		return e.row
	}
	return 0
}

// set makes sum, from row, the winning value of e's detail j.
func (k *kind[V, R]) set(e *entry[V, R], j int, sum uint64, row int) {
	if e.rows == 0 && int32(row) != e.row {
		var rows R
		for m := range len(rows) {
			rows[m] = k.rowOf(e, m)
		}
		e.rows = k.rows.add(rows)
	}
	e.val[j] = sum
	if e.rows != 0 {
		(*k.rows.at(e.rows))[j] = int32(row)
	}
}

// link adds an entry of key, first seen on row, before *head, and keeps the
// customer's index (*idx, made by makeIdx past indexAfter entries) in step.
func (k *kind[V, R]) link(head *uint32, idx map[uint64]uint32, makeIdx func() *map[uint64]uint32, key uint64, row int) *entry[V, R] {
	i := k.entries.add(entry[V, R]{key: key, row: int32(row), prev: *head})
	*head = i
	if idx != nil {
		idx[key] = i
	} else if n := k.count(i); n > indexAfter {
		*makeIdx() = k.index(i, n)
	}
	return k.entries.at(i)
}

// indexAfter is the number of entries beyond which a customer's entries get a
// map index.
const indexAfter = 16

// state is the Validator's memory across rows: the customers by the
// fingerprint of their folded code (an open-addressing table of indexes),
// and chunked arenas of fixed-size, pointer-free entries. Nothing is freed
// before the end of the file; nothing moves once added (chunks are never
// reallocated), so pointers into the arenas stay valid.
type state struct {
	table    []uint32 // 1-based customer indexes; 0 = empty slot; a power of two long
	custs    arena[customer]
	addrs    kind[[6]uint64, [6]int32]
	contacts kind[[2]uint64, [2]int32]
	stored   arena[storedState]
	strs     strArena
	more     []customerMore // index 0 unused
	freeMore []uint32
}

// find returns the customer of key (a fingerprint), or nil.
func (s *state) find(key uint64) *customer {
	if len(s.table) == 0 {
		return nil
	}
	mask := uint64(len(s.table) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		idx := s.table[i]
		if idx == 0 {
			return nil
		}
		if c := s.custs.at(idx); c.key == key {
			return c
		}
	}
}

// add adds a customer of key, which find does not know.
func (s *state) add(key uint64) *customer {
	if (s.custs.n+1)*4 > len(s.table)*3 {
		s.grow()
	}
	idx := s.custs.add(customer{key: key})
	s.place(key, idx)
	return s.custs.at(idx)
}

func (s *state) place(key uint64, idx uint32) {
	mask := uint64(len(s.table) - 1)
	i := key & mask
	for s.table[i] != 0 {
		i = (i + 1) & mask
	}
	s.table[i] = idx
}

// grow doubles the table and places every customer again.
func (s *state) grow() {
	s.table = make([]uint32, max(1024, 2*len(s.table)))
	for idx := uint32(1); idx <= uint32(s.custs.n); idx++ {
		s.place(s.custs.at(idx).key, idx)
	}
}

// each calls fn for every customer, in the order they were added.
func (s *state) each(fn func(c *customer) error) error {
	for idx := uint32(1); idx <= uint32(s.custs.n); idx++ {
		if err := fn(s.custs.at(idx)); err != nil {
			return err
		}
	}
	return nil
}

// extra returns c's customerMore, making it.
func (s *state) extra(c *customer) *customerMore {
	if c.more == 0 {
		if n := len(s.freeMore); n > 0 {
			c.more, s.freeMore = s.freeMore[n-1], s.freeMore[:n-1]
		} else {
			if len(s.more) == 0 {
				s.more = append(s.more, customerMore{})
			}
			s.more = append(s.more, customerMore{})
			c.more = uint32(len(s.more) - 1)
		}
	}
	return &s.more[c.more]
}

// moreOf returns c's customerMore, or nil.
func (s *state) moreOf(c *customer) *customerMore {
	if c.more == 0 {
		return nil
	}
	return &s.more[c.more]
}

// dropMore frees c's customerMore.
func (s *state) dropMore(c *customer) {
	s.more[c.more] = customerMore{}
	s.freeMore = append(s.freeMore, c.more)
	c.more = 0
}

// storedData returns the stored-customer state, or nil for a new customer
// or one no non-red row fed yet.
func (s *state) storedData(c *customer) *storedState {
	if c.stored == 0 {
		return nil
	}
	return s.stored.at(c.stored)
}

// arenaBits sizes an arena's chunks: 4096 entries.
const arenaBits = 12

// arena is an append-only store of Ts in fixed chunks, addressed by 1-based
// uint32 indexes: no per-entry allocation, no copy when it grows, and, for a
// pointer-free T, nothing for the garbage collector to scan.
type arena[T any] struct {
	chunks [][]T
	n      int
}

// add stores v and returns its index.
func (a *arena[T]) add(v T) uint32 {
	if a.n>>arenaBits == len(a.chunks) {
		a.chunks = append(a.chunks, make([]T, 1<<arenaBits))
	}
	a.chunks[a.n>>arenaBits][a.n&(1<<arenaBits-1)] = v
	a.n++
	return uint32(a.n)
}

// at returns the entry of index i.
func (a *arena[T]) at(i uint32) *T {
	i--
	return &a.chunks[i>>arenaBits][i&(1<<arenaBits-1)]
}

// addressValues returns the details of a in addressDetails order.
func addressValues(a *Address) [6]string {
	return [6]string{a.Name, a.Address, a.City, a.PostalCode, a.State, a.Country}
}

// contactValues returns the details of c in contactDetails order.
func contactValues(c *Contact) [2]string { return [2]string{c.Phone, c.Email} }

// fieldValue returns rec's value of a template field, for the old side of a
// change recalled from an earlier row.
func fieldValue(rec *Record, f sheet.Field) string {
	switch f {
	case sheet.CustomerName:
		return rec.Name
	case sheet.VATNumber:
		return rec.VAT
	}
	if a := rec.Address; a != nil {
		for i, d := range addressDetails() {
			if d == f {
				return addressValues(a)[i]
			}
		}
	}
	if c := rec.Contact; c != nil {
		for i, d := range contactDetails() {
			if d == f {
				return contactValues(c)[i]
			}
		}
	}
	return ""
}
