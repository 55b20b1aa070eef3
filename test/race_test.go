//go:build race

package test

// raceBuild says the tests run under -race. The race detector's shadow
// memory multiplies a process's memory use (5-10x by Go's documentation),
// so a memory bound that holds for a normal build fails under -race for
// no leak at all.
const raceBuild = true
