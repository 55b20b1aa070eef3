/*
 * bcryptprimitives.dll for Wine 8, which lacks it: the Go runtime (1.22
 * and later) gets its random bytes from ProcessPrng there and dies at
 * start-up without it. Built by internal/winetest with
 * x86_64-w64-mingw32-gcc and installed into the Wine prefix's system32;
 * only the Wine harness uses it, never a Windows install.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	/* BCryptGenRandom takes a ULONG length: large requests in pieces. */
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
