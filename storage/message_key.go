package storage

import "hash/fnv"

// keyHashFunc is the SQL name of keyHash, registered on every connection
// (migration 0007 fills the column with it).
const keyHashFunc = "cx_key_hash"

// keyHash is the stored hash of a message's provider key
// ("<channel>:<provider message id>"): FNV-1a, 64 bits, so it is the same in
// every process and every version.
func keyHash(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// keyHashes returns the hash of each key.
func keyHashes(keys []string) []int64 {
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = keyHash(k)
	}
	return out
}
