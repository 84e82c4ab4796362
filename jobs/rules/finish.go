package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// late is a customer_exists decided at the end of the file.
type late struct {
	rc      uint32 // rowClass of the row it stands on
	c       *customer
	changes []warning.Change
}

// Finish decides the last batch, hands the end-of-file warnings to the sink
// (Sink.Late, in row order, in chunks of BatchSize) and returns the summary.
//
// name_missing stands on every nameless row of a new customer that no
// non-red row named, red rows included. customer_exists stands once, on the
// first non-red row of a stored customer that the import changes: its name
// or VAT, an address or contact it adds or updates, or the default address
// or contact; Changes list customer_name, vat_number, default_address and
// default_contact old → new as they apply (possibly none of them).
func (v *Validator) Finish(ctx context.Context) (Summary, error) {
	if v.finished {
		return Summary{}, errors.New("rules: Finish called twice")
	}
	if v.overlap {
		if err := v.decidePending(ctx); err != nil {
			return Summary{}, err
		}
		v.buf, v.next = v.next, nil
	}
	if err := v.flush(ctx); err != nil {
		return Summary{}, err
	}
	v.finished = true
	v.buf, v.prev, v.index = nil, nil, nil

	var exists []late
	var missing []uint32 // rowClass of the rows that get name_missing
	n := 0
	err := v.st.each(func(c *customer) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		exists, missing = v.settle(c, exists, missing)
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	sort.Slice(exists, func(i, j int) bool { return exists[i].rc < exists[j].rc })
	slices.Sort(missing)

	ws := make([]warning.Warning, 0, min(len(exists)+len(missing), v.batch))
	for len(exists)+len(missing) > 0 {
		if len(exists) > 0 && (len(missing) == 0 || exists[0].rc < missing[0]) {
			l := exists[0]
			exists = exists[1:]
			ws = append(ws, warning.Warning{Row: int(l.rc >> 2), Column: v.letter(sheet.CustomerCode),
				Field: v.cat.name[sheet.CustomerCode], Code: warning.CustomerExists, Value: v.st.strs.get(v.st.storedData(l.c).code),
				Changes: l.changes})
		} else {
			ws = append(ws, warning.Warning{Row: int(missing[0] >> 2), Column: v.letter(sheet.CustomerName),
				Field: v.cat.name[sheet.CustomerName], Code: warning.NameMissing})
			missing = missing[1:]
		}
		if len(ws) == v.batch || len(exists)+len(missing) == 0 {
			if err := v.sink.Late(ctx, ws); err != nil {
				return Summary{}, fmt.Errorf("emit late warnings: %w", err)
			}
			ws = ws[:0]
		}
	}
	return v.sum, nil
}

// settle counts customer c in the summary and appends its late warnings,
// moving the rows they stand on to their new class.
func (v *Validator) settle(c *customer, exists []late, missing []uint32) ([]late, []uint32) {
	if c.flags&custExists == 0 {
		if m := v.st.moreOf(c); c.name == 0 && m != nil {
			for _, rc := range m.pending {
				missing = append(missing, rc)
				v.reclass(rc&3, classError)
			}
			return exists, missing
		}
		if c.flags&custFed != 0 {
			v.sum.CustomersNew++
			v.sum.AddressesNew += v.st.addrs.count(c.addrs)
			v.sum.ContactsNew += v.st.contacts.count(c.contacts)
		}
		return exists, missing
	}
	ss := v.st.storedData(c)
	if c.flags&custFed == 0 || ss == nil {
		return exists, missing
	}
	an, au := v.st.addrs.changed(c.addrs)
	kn, ku := v.st.contacts.changed(c.contacts)
	v.sum.AddressesNew, v.sum.AddressesUpdated = v.sum.AddressesNew+an, v.sum.AddressesUpdated+au
	v.sum.ContactsNew, v.sum.ContactsUpdated = v.sum.ContactsNew+kn, v.sum.ContactsUpdated+ku
	changed := an+au+kn+ku > 0
	changes := ss.changes(&v.st.strs)
	if !changed && len(changes) == 0 {
		v.sum.CustomersUnchanged++
		return exists, missing
	}
	v.sum.CustomersUpdated++
	v.reclass(c.first&3, classWarning)
	return append(exists, late{rc: c.first, c: c, changes: changes}), missing
}

// changes lists the customer-level changes of a stored customer.
func (ss *storedState) changes(strs *strArena) []warning.Change {
	var ch []warning.Change
	if ss.flags&nameChanged != 0 {
		ch = append(ch, warning.Change{Field: sheet.CustomerName.Name(), Old: strs.get(ss.oldName), New: strs.get(ss.newName)})
	}
	if ss.flags&vatChanged != 0 {
		ch = append(ch, warning.Change{Field: sheet.VATNumber.Name(), Old: strs.get(ss.oldVAT), New: strs.get(ss.newVAT)})
	}
	if k, s := ss.addrDef.final(); k != ss.addrDef.storedKey {
		ch = append(ch, warning.Change{Field: "default_address", Old: strs.get(ss.addrDef.stored), New: strs.get(s)})
	}
	if k, s := ss.contactDef.final(); k != ss.contactDef.storedKey {
		ch = append(ch, warning.Change{Field: "default_contact", Old: strs.get(ss.contactDef.stored), New: strs.get(s)})
	}
	return ch
}

// reclass moves one row from class from to class to, if it is worse.
func (v *Validator) reclass(from, to uint32) {
	if from >= to {
		return
	}
	switch from {
	case classOK:
		v.sum.RowsOK--
	case classWarning:
		v.sum.RowsWarning--
	}
	switch to {
	case classWarning:
		v.sum.RowsWarning++
	case classError:
		v.sum.RowsError++
	}
}
