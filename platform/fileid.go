package platform

import "errors"

// errOpenBusy: someone has the file open and shares it with no one, for an
// instant (on Windows: an antivirus scan, an indexer); look again later.
// On Unix an open file never refuses another open.
var errOpenBusy = errors.New("the file is open by a process that shares it with no one")
