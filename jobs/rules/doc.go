// Package rules turns header-mapped rows into normalized records and the red
// and yellow warnings of SPEC §4. It knows nothing of files, Postgres or
// HTTP: rows come in one at a time, stored customers are asked of an
// Existing, and records with their warnings go out to a Sink.
//
// Two steps. A Normalizer decides what one row decides alone: trimming,
// control characters, lengths, the missing code, countries, e-mail, yes/no
// cells, the address and contact parts, postal-code padding and the VAT
// shape. A Validator decides what needs several rows or the database: value
// conflicts and repeats within a customer, defaults, address_exists and
// contact_exists, and, at Finish, name_missing, customer_exists and the
// Summary. The Validator buffers Options.BatchSize records (1000) and asks
// Existing.Customers once per batch for the batch's keys, never once per row;
// the stored customers it gets are dropped after the batch.
//
// # State size
//
// The Validator keeps, per customer code, fingerprints and row numbers,
// never rows or values: 64-bit maphash fingerprints (seeded per Validator) of
// the folded code, the name and VAT, and per address or contact the
// fingerprint of its folded code or name and of each detail field, so that a
// blank never counts as a difference. Customers are found by the fingerprint
// of their folded code (an open-addressing table of 32-bit indexes; two
// codes sharing a 64-bit fingerprint, about one chance in 10^7 for a million
// customers, would be taken for one customer, as two values sharing one
// would be taken as equal). Customers, addresses and contacts are fixed-size
// structs without pointers in chunked arenas, linked by 32-bit indexes: no
// allocation per customer, and nothing the garbage collector has to scan,
// which keeps collections cheap however large the file. Measured with
// runtime.ReadMemStats over 100,000 distinct customers
// (TestStateBytesPerCustomer, BenchmarkStateBytesPerCustomer):
//
//   - about 190 heap bytes per customer with a name, a VAT number, one
//     address and one contact (64 for the customer, 72 per address, 40 per
//     contact, and its slot in the table);
//   - the row that gave each winning detail value is the entry's first row
//     until a later row changes a value; only then are the rows kept apart
//     (24 bytes per address, 8 per contact);
//   - a stored customer that the file feeds also keeps its stored code, the
//     old and new values of changed fields and its defaults for
//     customer_exists (about 290 bytes more, no pointer either: its strings
//     are in one byte arena).
//
// A million rows at ~1.6 rows per customer (625,000 customers with 1.6
// addresses and contacts each) thus hold about 155 MB of state.
// Rows without a name are remembered (4 bytes each) only until a row names
// their customer.
//
// The old side of an in-file change (customer_value_conflict, *_repeated) is
// read back from the earlier row, which the Validator finds in its current or
// previous batch, else asks of a Sink that implements Recaller; when neither
// has it, Change.Old is empty and Change.OldRow names the row, for the Sink
// to fill in once the rows are stored (the service's staging does it in the
// transaction that commits the run).
package rules
