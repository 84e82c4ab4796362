package s3_test

import (
	"testing"

	"intake/storage/s3"
)

func TestImportKey(t *testing.T) {
	tests := []struct {
		tenant int64
		id     string
		want   string
	}{
		{42, "0193a5c4-7e2b-7c1d-9f00-3b6a1e2d4c5f", "imports/42/0193a5c4-7e2b-7c1d-9f00-3b6a1e2d4c5f"},
		{1, "abc", "imports/1/abc"},
	}
	for _, tt := range tests {
		if got := s3.ImportKey(tt.tenant, tt.id); got != tt.want {
			t.Errorf("ImportKey(%d, %q) = %q, want %q", tt.tenant, tt.id, got, tt.want)
		}
	}
}
