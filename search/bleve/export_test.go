package bleve

import blv "github.com/blevesearch/bleve/v2"

// SetVersionForTest overwrites the stored mapping version of the index in
// dir.
func SetVersionForTest(dir, v string) error {
	idx, err := blv.Open(dir)
	if err != nil {
		return err
	}
	defer idx.Close()
	return idx.SetInternal(versionKey, []byte(v))
}
