package study

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadCSV feeds arbitrary bytes to ReadCSV, the reader of `mflowlab runs merge`'s
// parts. An error must name the file; rows read must write out and read back to the same
// text (WriteCSV's text is stable after one pass).
func FuzzReadCSV(f *testing.F) {
	head := strings.Join(Header, ",") + "\n"
	f.Add([]byte(head + "2,live,joint,4000,12.35,0.02130,0.03010,0.00473,learned,2750,8.50,spiral\n"))
	f.Add([]byte(head + "3,live,joint,17,1.00,0.40000,,,diverged,,,none\n"))
	f.Add([]byte(head + "1,live,joint,10,1.0,abc,,,learned,,,spiral\n"))
	f.Add([]byte(head + "\"1\",\"a,b\",\"x\"\"y\",1,Inf,,,,learned,,,spiral\n"))
	f.Add([]byte("seed,config\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadCSV(bytes.NewReader(data), "parts.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "parts.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var once, twice bytes.Buffer
		if err := WriteCSV(&once, rows); err != nil {
			t.Fatalf("writing rows read: %v", err)
		}
		back, err := ReadCSV(bytes.NewReader(once.Bytes()), "again.csv")
		if err != nil {
			t.Fatalf("re-reading written rows: %v\n%s", err, once.Bytes())
		}
		if len(back) != len(rows) {
			t.Fatalf("%d rows became %d", len(rows), len(back))
		}
		if err := WriteCSV(&twice, back); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("text not stable:\n%s\n%s", once.Bytes(), twice.Bytes())
		}
	})
}
