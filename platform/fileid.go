package platform

import "errors"

// errOpenBusy: another process has the file open in a way that refuses
// this open for an instant (on Windows: an antivirus scan, an indexer, a
// removal pending); look again later. On Unix an open never refuses so.
var errOpenBusy = errors.New("the file is busy: another process has it open")
