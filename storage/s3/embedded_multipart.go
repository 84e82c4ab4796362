package s3

import (
	"cmp"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
)

// diskBackend is the embedded server's storage: s3afero keeps the objects,
// and multipart uploads stage their parts as files, so that an upload costs
// disk rather than memory. (Without a gofakes3.MultipartBackend, gofakes3
// keeps every part in memory and joins them in one more buffer.)
type diskBackend struct {
	*s3afero.MultiBucketBackend
	staging string

	mu      sync.Mutex
	uploads map[gofakes3.UploadID]*stagedUpload
}

var _ gofakes3.MultipartBackend = (*diskBackend)(nil)

type stagedUpload struct {
	bucket, object string
	meta           map[string]string
	initiated      time.Time
	parts          map[int]stagedPart
}

type stagedPart struct {
	etag     string // quoted, as S3 sends it
	size     int64
	modified time.Time
}

// newDiskBackend stages parts under staging. Uploads do not survive a
// restart, so the parts a previous run left there are removed.
func newDiskBackend(objects *s3afero.MultiBucketBackend, staging string) (*diskBackend, error) {
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("clear multipart staging: %w", err)
	}
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return nil, fmt.Errorf("multipart staging: %w", err)
	}
	return &diskBackend{
		MultiBucketBackend: objects,
		staging:            staging,
		uploads:            make(map[gofakes3.UploadID]*stagedUpload),
	}, nil
}

// CreateMultipartUpload starts an upload and gives it a folder for its parts.
func (d *diskBackend) CreateMultipartUpload(bucket, object string, meta map[string]string) (gofakes3.UploadID, error) {
	id := gofakes3.UploadID(strings.ToLower(rand.Text()))
	if err := os.Mkdir(filepath.Join(d.staging, string(id)), 0o700); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.uploads[id] = &stagedUpload{
		bucket: bucket, object: object, meta: meta,
		initiated: time.Now(),
		parts:     make(map[int]stagedPart),
	}
	return id, nil
}

// UploadPart streams one part to a file; a part sent again replaces the
// earlier one, as in S3.
func (d *diskBackend) UploadPart(bucket, object string, id gofakes3.UploadID, partNumber int, contentLength int64, input io.Reader) (string, error) {
	d.mu.Lock()
	_, err := d.lookup(bucket, object, id)
	d.mu.Unlock()
	if err != nil {
		return "", err
	}

	dir := filepath.Join(d.staging, string(id))
	tmp, err := os.CreateTemp(dir, "incoming-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	hash := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, hash), input)
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return "", err
	}
	if contentLength >= 0 && n != contentLength {
		return "", gofakes3.ErrIncompleteBody
	}
	etag := `"` + hex.EncodeToString(hash.Sum(nil)) + `"`

	d.mu.Lock()
	defer d.mu.Unlock()
	up, err := d.lookup(bucket, object, id)
	if err != nil { // aborted or completed meanwhile
		return "", err
	}
	if err := os.Rename(tmp.Name(), partPath(dir, partNumber)); err != nil {
		return "", err
	}
	up.parts[partNumber] = stagedPart{etag: etag, size: n, modified: time.Now()}
	return etag, nil
}

// CompleteMultipartUpload joins the listed parts into the object, reading
// them one file at a time.
func (d *diskBackend) CompleteMultipartUpload(bucket, object string, id gofakes3.UploadID, input *gofakes3.CompleteMultipartUploadRequest) (gofakes3.VersionID, string, error) {
	d.mu.Lock()
	up, err := d.lookup(bucket, object, id)
	if err != nil {
		d.mu.Unlock()
		return "", "", err
	}
	dir := filepath.Join(d.staging, string(id))
	paths := make([]string, 0, len(input.Parts))
	var size int64
	etags := md5.New()
	for i, in := range input.Parts {
		if i > 0 && in.PartNumber <= input.Parts[i-1].PartNumber {
			d.mu.Unlock()
			return "", "", gofakes3.ErrInvalidPartOrder
		}
		part, ok := up.parts[in.PartNumber]
		if !ok || strings.Trim(in.ETag, `"`) != strings.Trim(part.etag, `"`) {
			d.mu.Unlock()
			return "", "", gofakes3.ErrorMessagef(gofakes3.ErrInvalidPart, "part %d was not uploaded with etag %s", in.PartNumber, in.ETag)
		}
		sum, _ := hex.DecodeString(strings.Trim(part.etag, `"`))
		etags.Write(sum)
		paths = append(paths, partPath(dir, in.PartNumber))
		size += part.size
	}
	meta := up.meta
	d.mu.Unlock()
	if len(paths) == 0 {
		return "", "", gofakes3.ErrorMessage(gofakes3.ErrMalformedXML, "no parts listed")
	}

	parts := &partsReader{paths: paths}
	defer parts.Close()
	result, err := d.PutObject(bucket, object, meta, parts, size, nil)
	if err != nil {
		return "", "", err
	}

	d.mu.Lock()
	delete(d.uploads, id)
	d.mu.Unlock()
	if err := os.RemoveAll(dir); err != nil {
		return "", "", err
	}
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(etags.Sum(nil)), len(paths))
	return result.VersionID, etag, nil
}

// AbortMultipartUpload drops an upload and its parts.
func (d *diskBackend) AbortMultipartUpload(bucket, object string, id gofakes3.UploadID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.lookup(bucket, object, id); err != nil {
		return err
	}
	delete(d.uploads, id)
	return os.RemoveAll(filepath.Join(d.staging, string(id)))
}

// ListParts lists an upload's parts in part-number order.
func (d *diskBackend) ListParts(bucket, object string, id gofakes3.UploadID, marker int, limit int64) (*gofakes3.ListMultipartUploadPartsResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	up, err := d.lookup(bucket, object, id)
	if err != nil {
		return nil, err
	}
	numbers := make([]int, 0, len(up.parts))
	for n := range up.parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	res := &gofakes3.ListMultipartUploadPartsResult{
		Bucket: bucket, Key: object, UploadID: id,
		StorageClass:     "STANDARD",
		PartNumberMarker: marker,
		MaxParts:         limit,
	}
	for _, n := range numbers {
		if limit > 0 && int64(len(res.Parts)) == limit {
			res.IsTruncated = true
			res.NextPartNumberMarker = res.Parts[len(res.Parts)-1].PartNumber
			break
		}
		p := up.parts[n]
		res.Parts = append(res.Parts, gofakes3.ListMultipartUploadPartItem{
			PartNumber:   n,
			ETag:         p.etag,
			Size:         p.size,
			LastModified: gofakes3.NewContentTime(p.modified),
		})
	}
	return res, nil
}

// ListMultipartUploads lists a bucket's uploads in progress by key, then
// upload id. Keys are matched on the prefix only: a delimiter does not
// group them into common prefixes (nothing in intake lists uploads).
func (d *diskBackend) ListMultipartUploads(bucket string, marker *gofakes3.UploadListMarker, prefix gofakes3.Prefix, limit int64) (*gofakes3.ListMultipartUploadsResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var items []gofakes3.ListMultipartUploadItem
	for id, up := range d.uploads {
		if up.bucket != bucket || !strings.HasPrefix(up.object, prefix.Prefix) {
			continue
		}
		if marker != nil && (up.object < marker.Object || up.object == marker.Object && id <= marker.UploadID) {
			continue
		}
		items = append(items, gofakes3.ListMultipartUploadItem{
			Key: up.object, UploadID: id,
			StorageClass: "STANDARD",
			Initiated:    gofakes3.NewContentTime(up.initiated),
		})
	}
	slices.SortFunc(items, func(a, b gofakes3.ListMultipartUploadItem) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(string(a.UploadID), string(b.UploadID)))
	})
	res := &gofakes3.ListMultipartUploadsResult{
		Bucket: bucket, Prefix: prefix.Prefix, Delimiter: prefix.Delimiter,
		MaxUploads: limit,
	}
	if marker != nil {
		res.KeyMarker, res.UploadIDMarker = marker.Object, marker.UploadID
	}
	if limit > 0 && int64(len(items)) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		res.IsTruncated = true
		res.NextKeyMarker, res.NextUploadIDMarker = last.Key, last.UploadID
	}
	res.Uploads = items
	return res, nil
}

// lookup finds an upload of bucket/object; d.mu must be held.
func (d *diskBackend) lookup(bucket, object string, id gofakes3.UploadID) (*stagedUpload, error) {
	up, ok := d.uploads[id]
	if !ok || up.bucket != bucket || up.object != object {
		return nil, gofakes3.ErrNoSuchUpload
	}
	return up, nil
}

func partPath(dir string, partNumber int) string {
	return filepath.Join(dir, "part-"+strconv.Itoa(partNumber))
}

// partsReader reads files one after the other, keeping one open at a time.
type partsReader struct {
	paths []string
	cur   *os.File
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.paths) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(p.paths[0])
			if err != nil {
				return 0, err
			}
			p.cur, p.paths = f, p.paths[1:]
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			err = p.cur.Close()
			p.cur = nil
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		return n, err
	}
}

func (p *partsReader) Close() error {
	if p.cur == nil {
		return nil
	}
	err := p.cur.Close()
	p.cur = nil
	return err
}
