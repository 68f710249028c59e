package channel

import (
	"fmt"
	"io"
	"net/http"
)

// ReadDownload reads the file a messenger's file server answered with, at
// most max bytes (a channel's Fetch): a server failure that may pass
// (5xx, 429) or a broken read is Transient; any other refusal, an empty
// file or one over max is Permanent.
func ReadDownload(resp *http.Response, max int64) ([]byte, error) {
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &Error{Kind: Transient, Reason: "downloading a file: HTTP " + resp.Status}
	case resp.StatusCode != http.StatusOK:
		return nil, &Error{Kind: Permanent, Reason: "the file server refused the file: HTTP " + resp.Status}
	case resp.ContentLength > max:
		return nil, &Error{Kind: Permanent, Reason: fmt.Sprintf("the file has %d bytes, over %d", resp.ContentLength, max)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	switch {
	case err != nil:
		return nil, &Error{Kind: Transient, Reason: "reading a file: " + err.Error()}
	case int64(len(data)) > max:
		return nil, &Error{Kind: Permanent, Reason: fmt.Sprintf("the file is over %d bytes", max)}
	case len(data) == 0:
		return nil, &Error{Kind: Permanent, Reason: "the file is empty"}
	}
	return data, nil
}
