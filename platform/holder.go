package platform

import "errors"

// ErrHolderUnknown means the lock is held but this OS cannot say by whom
// (only Linux can, through /proc/locks): the daemon's identity must then
// come from the daemon itself (its token-proved answer).
var ErrHolderUnknown = errors.New("the lock is held, but the OS does not say by which process")

// ErrHolderExiting means the process holding the lock is exiting: it can
// no longer be told to be cco (its memory is gone) or has closed the lock
// file already, and the kernel is about to release the lock.
var ErrHolderExiting = errors.New("the process holding the lock is exiting")
