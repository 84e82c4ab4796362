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
// the name and VAT, and per address or contact the fingerprint of its folded
// code or name and of each detail field, so that a blank never counts as a
// difference. Measured with runtime.ReadMemStats over 100,000 distinct
// customers (TestStateBytesPerCustomer, BenchmarkStateBytesPerCustomer):
//
//   - about 150 heap bytes per customer with a name only,
//   - about 290 with a name, a VAT number, one address and one contact
//     (each further address adds 96 bytes, each further contact 48),
//   - about 600 for a stored customer that the file feeds, which also keeps
//     its stored code, the old and new values of changed fields and its
//     defaults for customer_exists.
//
// A million rows at ~1.6 rows per customer (625,000 customers with an address
// and a contact each) thus hold about 180 MB of state.
// Rows without a name are remembered (4 bytes each) only until a row names
// their customer.
//
// The old side of an in-file change (customer_value_conflict, *_repeated) is
// read back from the earlier row, which the Validator finds in its current or
// previous batch, else asks of a Sink that implements Recaller; when neither
// has it, Change.Old is empty and Params["first_row"] names the row.
package rules
