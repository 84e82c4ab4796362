package rules

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strconv"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// Options configure a Validator. Zero values take the defaults.
type Options struct {
	// BatchSize is how many records are buffered before the stored customers
	// among them are looked up with one Existing.Customers call (default 1000).
	BatchSize int
	// Header gives the file's column letters for the warnings the Validator
	// adds; nil uses the template letters A–O.
	Header *sheet.Header
	// Overlap looks the stored customers of a full batch up in the
	// background and decides the batch once the next one is full (or at
	// Finish), so that the look-up's round trip overlaps the reading of the
	// next batch instead of stalling it. The look-ups ask exactly the keys
	// they ask without it and the output is the same; only the Sink calls lag
	// one batch behind Add, and a look-up error is returned by the next Add
	// or by Finish. Existing.Customers then runs on another goroutine.
	Overlap bool
}

// Recaller may be implemented by a Sink that can give back records it has
// received, by row number. The Validator keeps fingerprints, not values, of
// earlier rows: the old side of customer_value_conflict and *_repeated
// changes is read from the earlier row, found in the current or previous
// batch, else asked of the Sink once per batch when it is a Recaller. When
// neither has it, Old is left empty and the change's OldRow names the row,
// for a Sink that can fill it in once the rows are stored (the staging does
// it at commit).
type Recaller interface {
	Recall(ctx context.Context, rows []int) (map[int]Record, error)
}

// Validator applies the rules that need more than one row: values that
// conflict or repeat across rows of a customer, defaults, stored data, the
// name a customer gets from any of its rows, and the summary. Records are fed
// in file order with Add; Finish ends the file. A Validator serves one
// validation run from one goroutine.
type Validator struct {
	existing Existing
	sink     Sink
	recall   Recaller
	batch    int
	cat      *catalog
	hash     hasher
	st       state
	buf      []item // the current batch
	prev     []item // the previous batch, kept for old values
	overlap  bool
	next     []item   // Overlap: the batch being added to
	pending  *pending // Overlap: the full batch whose look-up runs
	index    map[*StoredCustomer]*storedIndex
	sum      Summary
	finished bool
}

// item is one buffered record.
type item struct {
	rec   Record
	ws    []warning.Warning
	red   bool
	class uint32
}

// pending is a full batch whose stored customers are being looked up.
type pending struct {
	items  []item
	done   chan struct{}
	stored map[string]*StoredCustomer
	err    error
}

// hole is the old side of a change still to be read from an earlier row.
type hole struct {
	item, w, c int
	row        int32
	field      sheet.Field
}

// NewValidator returns a Validator that looks stored customers up in
// existing (nil: an empty database) and hands its output to sink.
func NewValidator(existing Existing, sink Sink, opts Options) *Validator {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	v := &Validator{existing: existing, sink: sink, batch: opts.BatchSize, cat: newCatalog(opts.Header),
		hash: hasher{seed: maphash.MakeSeed()}, overlap: opts.Overlap}
	v.recall, _ = sink.(Recaller)
	return v
}

// Add takes the next record in file order with the warnings the Normalizer
// gave it, or a staged record fed again (to recompute the summary once rows
// are skipped) with its per-row warnings only. A red record is counted but
// feeds no cross-row state. A record without a key that is not red is a blank
// row and is ignored. Add keeps ws until the record is handed to the sink.
func (v *Validator) Add(ctx context.Context, rec Record, ws []warning.Warning) error {
	if v.finished {
		return errors.New("rules: Add after Finish")
	}
	if rec.Key == "" && rec.Code != "" {
		rec.Key = Fold(rec.Code)
	}
	red := rec.Red || v.cat.red(ws)
	if rec.Key == "" && !red {
		return nil
	}
	// Clipped, so that the warnings appended here never write into an array
	// the caller shares between rows.
	it := item{rec: rec, ws: slices.Clip(ws), red: red}
	if v.overlap {
		if v.next = append(v.next, it); len(v.next) >= v.batch {
			return v.rotate(ctx)
		}
		return nil
	}
	v.buf = append(v.buf, it)
	if len(v.buf) >= v.batch {
		return v.flush(ctx)
	}
	return nil
}

// flush decides the buffered records: one look-up of the stored customers
// among them, the cross-row rules in file order, then the sink.
func (v *Validator) flush(ctx context.Context) error {
	if len(v.buf) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	stored, err := v.lookup(ctx, v.lookupKeys(v.buf))
	if err != nil {
		return err
	}
	return v.decide(ctx, stored)
}

// rotate (Overlap) decides the batch whose look-up is pending, then starts
// the look-up of the batch just filled. Deciding first keeps the keys asked
// the same as without Overlap: customers that batch found absent are not
// asked again.
func (v *Validator) rotate(ctx context.Context) error {
	if err := v.decidePending(ctx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pending{items: v.next, done: make(chan struct{})}
	keys := v.lookupKeys(p.items)
	go func() {
		defer close(p.done)
		p.stored, p.err = v.lookup(ctx, keys)
	}()
	v.pending, v.next, v.buf = p, v.buf, nil
	return nil
}

// decidePending (Overlap) waits for the pending look-up and decides its batch.
func (v *Validator) decidePending(ctx context.Context) error {
	p := v.pending
	if p == nil {
		return nil
	}
	v.pending = nil
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err != nil {
		return p.err
	}
	v.buf = p.items
	return v.decide(ctx, p.stored)
}

// decide applies the rules to v.buf with the stored customers among it and
// hands it to the sink; v.buf then becomes v.prev, and v.buf an empty batch.
func (v *Validator) decide(ctx context.Context, stored map[string]*StoredCustomer) error {
	var holes []hole
	for i := range v.buf {
		it := &v.buf[i]
		if it.rec.Key == "" {
			it.class = v.cat.class(it.ws)
			continue
		}
		holes = v.process(i, stored[it.rec.Key], holes)
	}
	if err := v.fillHoles(ctx, holes); err != nil {
		return err
	}
	for i := range v.buf {
		it := &v.buf[i]
		v.sum.RowsTotal++
		switch it.class {
		case classOK:
			v.sum.RowsOK++
		case classWarning:
			v.sum.RowsWarning++
		default:
			v.sum.RowsError++
		}
		it.rec.Red = it.red
		if err := v.sink.Record(ctx, it.rec, it.ws); err != nil {
			return fmt.Errorf("emit row %d: %w", it.rec.Row, err)
		}
	}
	clear(v.prev)
	v.prev, v.buf = v.buf, v.prev[:0]
	v.index = nil // stored customers live for one batch
	return nil
}

// lookupKeys returns the distinct keys of a batch, except those an earlier
// batch found absent.
func (v *Validator) lookupKeys(items []item) []string {
	if v.existing == nil {
		return nil
	}
	seen := make(map[string]bool, len(items))
	keys := make([]string, 0, len(items))
	for i := range items {
		k := items[i].rec.Key
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if c := v.st.find(v.hash.sum(k)); c != nil && c.flags&custExists == 0 {
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// lookup asks for the stored customers among keys. It reads no Validator
// state, so that Overlap can run it on another goroutine.
func (v *Validator) lookup(ctx context.Context, keys []string) (map[string]*StoredCustomer, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	m, err := v.existing.Customers(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up stored customers: %w", err)
	}
	return m, nil
}

// process applies the cross-row and stored-data rules to buffered record i.
func (v *Validator) process(i int, sc *StoredCustomer, holes []hole) []hole {
	it := &v.buf[i]
	rec := &it.rec
	key := v.hash.sum(rec.Key)
	c := v.st.find(key)
	if c == nil {
		c = v.st.add(key)
		if sc != nil {
			c.flags |= custExists
		}
	}
	if it.red {
		it.class = classError
		if rec.Name == "" && c.name == 0 && c.flags&custExists == 0 {
			m := v.st.extra(c)
			m.pending = append(m.pending, rowClass(rec.Row, classError))
		}
		return holes
	}
	var ss *storedState
	if sc != nil && c.flags&custExists != 0 {
		ss = v.storedState(c, sc)
	} else {
		sc = nil
	}
	first := c.flags&custFed == 0
	c.flags |= custFed

	holes = v.customerValue(i, c, sheet.CustomerName, &c.name, &c.nameRow, holes)
	holes = v.customerValue(i, c, sheet.VATNumber, &c.vat, &c.vatRow, holes)
	if ss != nil {
		ss.track(&v.st.strs, sc, rec)
	}
	if rec.Address != nil && rec.Address.Code != "" {
		holes = v.address(i, c, ss, sc, holes)
	}
	if rec.Contact != nil && rec.Contact.Name != "" {
		holes = v.contact(i, c, ss, sc, holes)
	}

	it.class = v.cat.class(it.ws)
	if first {
		c.first = rowClass(rec.Row, it.class)
	}
	if c.name != 0 {
		if m := v.st.moreOf(c); m != nil {
			m.pending = nil
			if m.addrIdx == nil && m.contactIdx == nil {
				v.st.dropMore(c)
			}
		}
	} else if c.flags&custExists == 0 {
		m := v.st.extra(c)
		m.pending = append(m.pending, rowClass(rec.Row, it.class))
	}
	return holes
}

// customerValue applies customer_value_conflict to the name or VAT of record
// i: a non-blank value that differs from the one an earlier row gave wins,
// with a warning.
func (v *Validator) customerValue(i int, c *customer, f sheet.Field, sum *uint64, row *int32, holes []hole) []hole {
	it := &v.buf[i]
	val := fieldValue(&it.rec, f)
	if val == "" {
		return holes
	}
	h := v.hash.sum(val)
	if *sum == h {
		return holes
	}
	if *sum != 0 {
		holes = append(holes, hole{item: i, w: len(it.ws), c: 0, row: *row, field: f})
		it.ws = append(it.ws, warning.Warning{Row: it.rec.Row, Column: v.letter(f), Field: v.cat.name[f],
			Code: warning.CustomerValueConflict, Value: val, Params: firstRow(*row),
			Changes: []warning.Change{{Field: v.cat.name[f], New: val}}})
	}
	*sum, *row = h, int32(it.rec.Row)
	return holes
}

// address applies address_repeated, address_exists and
// multiple_default_addresses to record i, and merges its details.
func (v *Validator) address(i int, c *customer, ss *storedState, sc *StoredCustomer, holes []hole) []hole {
	a := v.buf[i].rec.Address
	vals := addressValues(a)
	ch := child{ident: a.Code, isDefault: a.IsDefault}
	var old [6]string
	if sa := v.storedAddress(sc, a.Code); sa != nil {
		old, ch.stored, ch.storedIdent = addressValues(sa), true, sa.Code
	}
	return childRules(v, &v.st.addrs, &v.cat.addr, i, c, ss, ch, vals[:], old[:], holes)
}

// contact is address for the contact part of record i.
func (v *Validator) contact(i int, c *customer, ss *storedState, sc *StoredCustomer, holes []hole) []hole {
	k := v.buf[i].rec.Contact
	vals := contactValues(k)
	ch := child{ident: k.Name, isDefault: k.IsDefault}
	var old [2]string
	if sk := v.storedContact(sc, k.Name); sk != nil {
		old, ch.stored, ch.storedIdent = contactValues(sk), true, sk.Name
	}
	return childRules(v, &v.st.contacts, &v.cat.contact, i, c, ss, ch, vals[:], old[:], holes)
}

// child is the address or the contact of one record, as childRules reads
// it; its details and the stored child's are parameters of their own (so
// that the arrays they slice stay on the stack).
type child struct {
	ident       string // address code or contact name, as written
	isDefault   bool
	stored      bool   // the child is stored
	storedIdent string // the stored spelling of ident
}

// childRules applies the rules addresses and contacts share to the child ch
// of record i (of customer c, stored as ss when it is), whose details are
// vals (stored: the stored child's, when ch.stored): *_repeated when an
// earlier row gave the same child other details, *_exists when the child is
// stored with other details, multiple_default_* past the first row marking
// a default; and merges its details into the state.
func childRules[V values, R valueRows](v *Validator, k *kind[V, R], ck *childKind, i int, c *customer, ss *storedState,
	ch child, vals, stored []string, holes []hole) []hole {
	it := &v.buf[i]
	row := it.rec.Row
	key := v.hash.sum(Fold(ch.ident))
	var sums V
	for j := range vals {
		sums[j] = v.hash.sum(vals[j])
	}
	head, defRow := ck.links(c)
	var idx map[uint64]uint32
	if m := v.st.moreOf(c); m != nil {
		idx = *ck.index(m)
	}
	var def *defaultTrack
	e := k.find(*head, idx, key)
	if ss != nil {
		def = ck.def(ss)
	}
	if e != nil {
		var changes []warning.Change
		w := len(it.ws)
		for j, f := range ck.details {
			if sums[j] != 0 && e.val[j] != 0 && sums[j] != e.val[j] {
				holes = append(holes, hole{item: i, w: w, c: len(changes), row: k.rowOf(e, j), field: f})
				changes = append(changes, warning.Change{Field: v.cat.name[f], New: vals[j]})
			}
		}
		if len(changes) > 0 {
			it.ws = append(it.ws, v.rowWarning(it, ck.ident, ck.repeated, ch.ident, firstRow(e.row), changes))
		}
	} else {
		e = k.link(head, idx, func() *map[uint64]uint32 { return ck.index(v.st.extra(c)) }, key, row)
		if def != nil && ss.flags&ck.storedFlag == 0 && def.firstKey == 0 {
			def.firstKey, def.first = key, v.st.strs.put(ch.ident)
		}
	}
	for j := range len(sums) {
		if sums[j] != 0 && sums[j] != e.val[j] {
			k.set(e, j, sums[j], row)
		}
	}

	spelling := ch.ident
	if ch.stored {
		spelling = ch.storedIdent
		e.flags |= entryStored
		var changes []warning.Change
		e.flags &^= entryUpdated
		for j, f := range ck.details {
			if vals[j] != "" && vals[j] != stored[j] {
				changes = append(changes, warning.Change{Field: v.cat.name[f], Old: stored[j], New: vals[j]})
			}
			if e.val[j] != 0 && e.val[j] != v.hash.sum(stored[j]) {
				e.flags |= entryUpdated
			}
		}
		if len(changes) > 0 {
			it.ws = append(it.ws, v.rowWarning(it, ck.ident, ck.exists, ch.ident, nil, changes))
		}
	}
	if ch.isDefault {
		if *defRow != 0 {
			it.ws = append(it.ws, v.rowWarning(it, ck.flag, ck.multipleDefault, "", firstRow(*defRow), nil))
		} else {
			*defRow = int32(row)
		}
		if def != nil {
			def.markedKey = key
			v.st.strs.set(&def.marked, spelling)
		}
	}
	return holes
}

// rowWarning builds a warning of the Validator on the row of it.
func (v *Validator) rowWarning(it *item, f sheet.Field, code warning.Code, value string, params map[string]string,
	changes []warning.Change) warning.Warning {
	return warning.Warning{Row: it.rec.Row, Column: v.letter(f), Field: v.cat.name[f], Code: code, Value: value,
		Params: params, Changes: changes}
}

// letter is the column letter of f in the file, or in the template.
func (v *Validator) letter(f sheet.Field) string { return v.cat.letter[f] }

func firstRow(row int32) map[string]string {
	return map[string]string{"first_row": strconv.Itoa(int(row))}
}

// fillHoles reads the old side of in-file changes from the earlier rows: the
// current and previous batches first, then the sink if it is a Recaller.
func (v *Validator) fillHoles(ctx context.Context, holes []hole) error {
	var missing []int
	for _, h := range holes {
		if rec := v.buffered(int(h.row)); rec != nil {
			v.buf[h.item].ws[h.w].Changes[h.c].Old = fieldValue(rec, h.field)
		} else {
			missing = append(missing, int(h.row))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if v.recall == nil {
		for _, h := range holes {
			if ch := &v.buf[h.item].ws[h.w].Changes[h.c]; ch.Old == "" {
				ch.OldRow = int(h.row)
			}
		}
		return nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	recs, err := v.recall.Recall(ctx, missing)
	if err != nil {
		return fmt.Errorf("recall earlier rows: %w", err)
	}
	for _, h := range holes {
		ch := &v.buf[h.item].ws[h.w].Changes[h.c]
		if rec, ok := recs[int(h.row)]; ok {
			ch.Old = fieldValue(&rec, h.field)
		} else if ch.Old == "" {
			ch.OldRow = int(h.row)
		}
	}
	return nil
}

// buffered returns the record of row from the current or previous batch.
func (v *Validator) buffered(row int) *Record {
	for _, b := range [2][]item{v.buf, v.prev} {
		j := sort.Search(len(b), func(j int) bool { return b[j].rec.Row >= row })
		if j < len(b) && b[j].rec.Row == row {
			return &b[j].rec
		}
	}
	return nil
}
