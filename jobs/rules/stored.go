package rules

import "context"

// MemExisting is an in-memory Existing keyed by folded customer code
// (Fold), for tests and tools.
type MemExisting map[string]*StoredCustomer

// Customers returns the stored customers among keys.
func (m MemExisting) Customers(_ context.Context, keys []string) (map[string]*StoredCustomer, error) {
	out := make(map[string]*StoredCustomer)
	for _, k := range keys {
		if c, ok := m[k]; ok {
			out[k] = c
		}
	}
	return out, nil
}

// storedIndex finds the addresses and contacts of a stored customer with many
// of them by folded code or name; it lives for one batch.
type storedIndex struct {
	addrs    map[string]int
	contacts map[string]int
}

// storedAddress returns the address of sc whose code folds like code, or nil.
func (v *Validator) storedAddress(sc *StoredCustomer, code string) *Address {
	if sc == nil {
		return nil
	}
	key := Fold(code)
	if len(sc.Addresses) <= indexAfter {
		for i := range sc.Addresses {
			if Fold(sc.Addresses[i].Code) == key {
				return &sc.Addresses[i]
			}
		}
		return nil
	}
	if i, ok := v.storedIdx(sc).addrs[key]; ok {
		return &sc.Addresses[i]
	}
	return nil
}

// storedContact returns the contact of sc whose name folds like name, or nil.
func (v *Validator) storedContact(sc *StoredCustomer, name string) *Contact {
	if sc == nil {
		return nil
	}
	key := Fold(name)
	if len(sc.Contacts) <= indexAfter {
		for i := range sc.Contacts {
			if Fold(sc.Contacts[i].Name) == key {
				return &sc.Contacts[i]
			}
		}
		return nil
	}
	if i, ok := v.storedIdx(sc).contacts[key]; ok {
		return &sc.Contacts[i]
	}
	return nil
}

// storedIdx returns the batch's index of sc, building it on first use.
func (v *Validator) storedIdx(sc *StoredCustomer) *storedIndex {
	if x, ok := v.index[sc]; ok {
		return x
	}
	x := &storedIndex{addrs: make(map[string]int, len(sc.Addresses)), contacts: make(map[string]int, len(sc.Contacts))}
	for i := len(sc.Addresses) - 1; i >= 0; i-- {
		x.addrs[Fold(sc.Addresses[i].Code)] = i
	}
	for i := len(sc.Contacts) - 1; i >= 0; i-- {
		x.contacts[Fold(sc.Contacts[i].Name)] = i
	}
	if v.index == nil {
		v.index = make(map[*StoredCustomer]*storedIndex)
	}
	v.index[sc] = x
	return x
}

// storedState returns c's stored-customer state, making it from sc the
// first time a non-red row of c is decided.
func (v *Validator) storedState(c *customer, sc *StoredCustomer) *storedState {
	if c.stored != 0 {
		return v.st.stored.at(c.stored)
	}
	strs := &v.st.strs
	ss := storedState{code: strs.put(sc.Code)}
	if len(sc.Addresses) > 0 {
		ss.flags |= hasAddrs
	}
	if len(sc.Contacts) > 0 {
		ss.flags |= hasContact
	}
	for i := range sc.Addresses {
		if sc.Addresses[i].IsDefault {
			ss.addrDef.storedKey, ss.addrDef.stored = v.hash.sum(Fold(sc.Addresses[i].Code)), strs.put(sc.Addresses[i].Code)
			break
		}
	}
	for i := range sc.Contacts {
		if sc.Contacts[i].IsDefault {
			ss.contactDef.storedKey, ss.contactDef.stored = v.hash.sum(Fold(sc.Contacts[i].Name)), strs.put(sc.Contacts[i].Name)
			break
		}
	}
	c.stored = v.st.stored.add(ss)
	return v.st.stored.at(c.stored)
}

// track follows the customer fields of rec against the stored ones: the
// winning (last non-blank) value either equals the stored one or is a change.
func (ss *storedState) track(strs *strArena, sc *StoredCustomer, rec *Record) {
	if rec.Name != "" {
		ss.flags &^= nameChanged
		if rec.Name != sc.Name {
			ss.flags |= nameChanged
			strs.set(&ss.oldName, sc.Name)
			strs.set(&ss.newName, rec.Name)
		}
	}
	if rec.VAT != "" {
		ss.flags &^= vatChanged
		if rec.VAT != sc.VAT {
			ss.flags |= vatChanged
			strs.set(&ss.oldVAT, sc.VAT)
			strs.set(&ss.newVAT, rec.VAT)
		}
	}
}
