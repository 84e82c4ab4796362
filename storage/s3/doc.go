// Package s3 owns the uploaded import files: it stores them in an
// S3-compatible object store through minio-go ([BlobStore]), decides their
// object keys ([ImportKey]; keys are built from ids only, never from a user's
// file name), and runs the S3-compatible server that `intake dev` embeds when
// no S3_ENDPOINT is configured ([StartEmbedded]).
//
// # Streaming with bounded memory
//
// [BlobStore.Put] always passes an explicit part size to minio-go: for a
// stream of unknown size minio-go otherwise sizes each part for the largest
// possible object and allocates about 528 MiB per upload. One upload holds
// one part in memory (Config.PartSize, 16 MiB by default), whatever the file
// size. It also sends the payload unsigned (DisableContentSha256): over plain
// HTTP minio-go would otherwise frame every part with the aws-chunked
// signature encoding, which some S3 servers store as content, and hash each
// part a second time.
//
// # The embedded server
//
// The embedded server is github.com/johannesboyne/gofakes3 with its s3afero
// backend on a local folder, chosen over the embeddable gateway of
// github.com/versity/versitygw (package embedgw, v1.8.0) because:
//
//   - weight: gofakes3 and its s3afero backend compile in three small
//     modules (gofakes3, afero, goskiplist); embedgw with its posix backend
//     compiles in 61 modules besides versitygw (fiber/fasthttp, the AWS SDK,
//     LDAP, Vault, Kafka, NATS, RabbitMQ, DataDog...) and a hello-world that
//     links it weighs 29 MB against 6 MB, for a convenience used on laptops;
//   - embedding: gofakes3 is an http.Handler served on a listener we open on
//     127.0.0.1:0, so the port is known and any number of servers can run in
//     one process (tests start one each); embedgw allows a single instance
//     per process (package globals), listens on configured ports only,
//     writes to stdout even when quiet (its IAM notice), and its posix
//     backend needs extended attributes on the folder's filesystem (or a
//     second, sidecar folder).
//
// gofakes3 v1.2.0 has two faults this package works around rather than
// inherits:
//
//   - It keeps every part of a multipart upload in memory and joins them in
//     one more buffer on completion (measured: the heap grew by ~500 MiB for
//     a 200 MiB upload, against 17 MiB here). The backend here implements
//     gofakes3.MultipartBackend itself: parts are staged as files under
//     <dir>/multipart and joined on disk.
//   - It stores the aws-chunked framing of a multipart part as content (a
//     12-byte CSV came back as 184 bytes). BlobStore never sends that framing;
//     the server answers 501 NotImplemented to any request that carries it
//     where gofakes3 would not decode it, so another client pointed at the dev
//     server gets an error instead of a corrupt file.
//
// The embedded server checks no credentials: it listens on the loopback
// interface only and serves development, never production. Production and
// docker-compose use a real S3 server (CI tests against versitygw).
package s3
